from deskterm.cli.fast import main

main()
