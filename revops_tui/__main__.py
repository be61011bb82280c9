from revops_tui.cli import main

raise SystemExit(main())
