from puente.cli.launch import run

run()
