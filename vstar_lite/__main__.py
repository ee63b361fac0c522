from vstar_lite.cli import main

raise SystemExit(main())
