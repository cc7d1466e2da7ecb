"""Flash markets and micro-bets: pm-AMM pricing, collapse rules, micro sessions, player protection."""  # noqa: E501
