"""What Flagpost knows and decides, in plain Python: models, target identity, rules, plain errors.

Nothing here imports boto3, an HTTP framework or the configuration: the domain takes values and
returns values (tests/unit checks it without sockets; `make lint` enforces it with import-linter).
"""
