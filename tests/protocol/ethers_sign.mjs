// Reference EIP-712 signatures from ethers v6, for tests/protocol/test_permits_ethers.py.
// stdin: one case {privateKey, domain, types (without EIP712Domain), message} or an array of cases.
// stdout: {signature, digest} for one case, or an array of them in the same order.
import { ethers } from "ethers";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function signOne({ privateKey, domain, types, message }) {
  const wallet = new ethers.Wallet(privateKey);
  const signature = await wallet.signTypedData(domain, types, message);
  const digest = ethers.TypedDataEncoder.hash(domain, types, message);
  return { signature, digest };
}

const payload = JSON.parse(await readStdin());
const result = Array.isArray(payload)
  ? await Promise.all(payload.map(signOne))
  : await signOne(payload);
process.stdout.write(JSON.stringify(result) + "\n");
