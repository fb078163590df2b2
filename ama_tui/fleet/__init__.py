"""A fleet across processes and machines: a TOML fleet file split into `ama-tui run` processes whose
static budgets can never add up past a wallet's cap (`plan`), the files a supervisor runs them from
(`files`), and one table of every state folder reachable (`status`)."""
