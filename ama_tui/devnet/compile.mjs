#!/usr/bin/env node
// Compiles the devnet contracts with the project's solc-js and writes one JSON artifact per
// deployable contract: {contractName, abi, bytecode, deployedBytecode, sourceHash, solcVersion,
// settings}. The output is deterministic, so the committed artifacts can be checked by rebuilding.
//
// usage: node ama_tui/devnet/compile.mjs [--out <dir>]   (default: ama_tui/devnet/artifacts)

import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const solc = require('solc')

const HERE = dirname(fileURLToPath(import.meta.url))
const CONTRACTS_DIR = join(HERE, 'contracts')
const DEPLOYABLE = ['SessionRegistry', 'CoreVault', 'OrderBook', 'Multicall3']
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
}

function parseArgs(argv) {
  let out = join(HERE, 'artifacts')
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && i + 1 < argv.length) {
      out = resolve(argv[++i])
    } else {
      throw new Error(`unknown argument ${argv[i]} (usage: compile.mjs [--out <dir>])`)
    }
  }
  return { out }
}

/** The sources in a fixed order (file names sorted by code point) and their combined sha256. */
function readSources() {
  const names = readdirSync(CONTRACTS_DIR)
    .filter((name) => name.endsWith('.sol'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const hash = createHash('sha256')
  const sources = {}
  for (const name of names) {
    const content = readFileSync(join(CONTRACTS_DIR, name), 'utf8')
    hash.update(content, 'utf8')
    sources[name] = { content }
  }
  return { sources, sourceHash: hash.digest('hex') }
}

function main() {
  const { out } = parseArgs(process.argv.slice(2))
  const { sources, sourceHash } = readSources()
  const input = { language: 'Solidity', sources, settings: SETTINGS }
  const output = JSON.parse(solc.compile(JSON.stringify(input)))
  const problems = output.errors ?? []
  for (const problem of problems) {
    if (problem.severity !== 'error') {
      process.stderr.write(`${problem.formattedMessage}\n`)
    }
  }
  const errors = problems.filter((problem) => problem.severity === 'error')
  if (errors.length > 0) {
    for (const error of errors) process.stderr.write(`${error.formattedMessage}\n`)
    process.exit(1)
  }
  mkdirSync(out, { recursive: true })
  for (const name of DEPLOYABLE) {
    const compiled = output.contracts[`${name}.sol`]?.[name]
    if (!compiled) throw new Error(`${name}.sol did not produce contract ${name}`)
    const artifact = {
      contractName: name,
      sourceHash,
      solcVersion: solc.version(),
      settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, metadata: SETTINGS.metadata },
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
      deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    }
    writeFileSync(join(out, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`)
    const size = compiled.evm.deployedBytecode.object.length / 2
    process.stdout.write(`${name}: ${size} bytes runtime -> ${join(out, `${name}.json`)}\n`)
  }
}

main()
