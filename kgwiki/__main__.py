from kgwiki.cli import main

raise SystemExit(main())
