from kgwiki.cli import run

run()
