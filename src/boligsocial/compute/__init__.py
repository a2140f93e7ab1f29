"""Computation: from the pseudonymised tables and the areas to every figure the system knows — the
indicators (`indicators`, defined in `catalogue/`), the list criteria's building blocks
(`measures`) and the statistics the disclosure step works on (`statistics`), the state's lists
(`lists`, rules in `rulesets/`), the forecast and its back-test (`forecast`, `backtest`), traffic
lights (`trafficlight`), the sentences that explain them (`narrative`), the moves between areas
(`moves`), and `classify` for published figures. Import from the modules; nothing is here."""
