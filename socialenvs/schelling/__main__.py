from socialenvs.schelling.run import main

raise SystemExit(main())
