from deskterm.cli.main import main

main()
