"""The trading engine: one deterministic state machine over journaled commands, tying the
dark-pool books, isolated-margin positions and the ledger together."""
