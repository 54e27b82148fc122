#!/usr/bin/env python3
"""The ECS task-definition fields, read from the AWS API model that botocore ships.

Used by scripts/gen-ecs-readonly-fields (which writes the Swift list) and by the taskdef tests (as an
oracle imagepatch did not write):

  ecs_model.py fields        JSON: the botocore version, the shape names, the keys
                             register-task-definition accepts and the read-only ones describe adds
  ecs_model.py validate FILE checks FILE (a task definition as JSON) with botocore's own validator
                             for register_task_definition; prints the problems and exits 1 if any
  ecs_model.py register FILE runs `aws ecs register-task-definition --cli-input-json file://FILE`
                             against a moto ECS server on a free loopback port (no AWS account,
                             no credentials: the CLI gets dummy ones and no config files), and
                             exits with the CLI's status
"""
import json
import logging
import os
import subprocess
import sys

import botocore
import botocore.exceptions
import botocore.session
import botocore.validate

SERVICE = "ecs"


def service_model():
    return botocore.session.get_session().get_service_model(SERVICE)


def fields():
    """register-task-definition's request members, and the members of describe-task-definition's
    task definition that the request lacks (the fields AWS adds)."""
    model = service_model()
    request = model.operation_model("RegisterTaskDefinition").input_shape
    described = model.operation_model("DescribeTaskDefinition").output_shape.members["taskDefinition"]
    register_keys = list(request.members)
    read_only_keys = [key for key in described.members if key not in request.members]
    return {
        "botocore": botocore.__version__,
        "model": f"botocore/data/{SERVICE}/{model.api_version}/service-2.json",
        "describeShape": described.name,
        "registerShape": request.name,
        "registerKeys": register_keys,
        "readOnlyKeys": read_only_keys,
    }


def validate(path):
    with open(path, "rb") as file:
        params = json.load(file)
    shape = service_model().operation_model("RegisterTaskDefinition").input_shape
    try:
        botocore.validate.validate_parameters(params, shape)
    except botocore.exceptions.ParamValidationError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def register(path):
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on stderr
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        environment = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                           AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull,
                           AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        environment.pop("AWS_PROFILE", None)
        environment.pop("AWS_SESSION_TOKEN", None)
        command = ["aws", "ecs", "register-task-definition", "--endpoint-url", f"http://{host}:{port}",
                   "--cli-input-json", f"file://{os.path.abspath(path)}", "--output", "json"]
        return subprocess.run(command, env=environment, timeout=120).returncode
    finally:
        server.stop()


def main(argv):
    if len(argv) == 2 and argv[1] == "fields":
        json.dump(fields(), sys.stdout, indent=2)
        print()
        return 0
    if len(argv) == 3 and argv[1] == "validate":
        return validate(argv[2])
    if len(argv) == 3 and argv[1] == "register":
        return register(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
