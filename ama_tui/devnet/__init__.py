"""A local devnet: anvil plus contracts that speak the production Dexetra ABI.

`node.AnvilNode` runs the chain, `deploy.deploy_devnet` installs the exchange, `artifacts` reads
the committed compiled contracts (rebuild with `node ama_tui/devnet/compile.mjs`).
"""
