"""template.yaml as AWS would see it: translated by aws-sam-translator, created in moto's CloudFormation,
and held to the security rules a reviewer checks (least privilege, the stack's key, retention, alarms).

The translation is offline: artifact URIs are rewritten as `sam package` would, and the managed-policy
map is static (Flagpost's roles attach none; the map only keeps the translator from asking IAM).
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from moto import mock_aws
from moto.cloudformation.parsing import resource_class_from_type
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse
from waiting import wait_until  # type: ignore[import-not-found]

from flagpost.adapters.dynamo.client import Table
from flagpost.adapters.dynamo.principals import DynamoPrincipalStore
from flagpost.domain.models.principal import Role
from flagpost_local.provision import provision
from flagpost_local.template import Template

REGION = "eu-west-1"
STACK = "flagpost-ci"
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}"
    for name, path in {
        "AWSLambdaBasicExecutionRole": "service-role/AWSLambdaBasicExecutionRole",
        "AWSXrayWriteOnlyAccess": "AWSXrayWriteOnlyAccess",
        "AWSLambdaSQSQueueExecutionRole": "service-role/AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaDynamoDBExecutionRole": "service-role/AWSLambdaDynamoDBExecutionRole",
    }.items()
}
# What moto's CloudFormation cannot create (it skips them with a warning); their properties are checked
# on the translated template below instead. A new type here should be a deliberate choice.
NOT_IN_MOTO = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
    "AWS::SES::EmailIdentity",
}
OPERATOR = {"OperatorName": "CI referral unit", "OperatorEmail": "notices@example.org"}
# X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.
UNSCOPED_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _sam_template(repo: Path) -> dict[str, Any]:
    body: dict[str, Any] = yaml_parse((repo / "template.yaml").read_text(encoding="utf-8"))
    return body


def _translate(sam: dict[str, Any]) -> dict[str, Any]:
    packaged = copy.deepcopy(sam)
    for resource in packaged["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):  # what `sam package` does: local folder -> S3 object
                props[key] = f"s3://flagpost-artifacts/{props[key].strip('/')}.zip"
    translator = Translator(MANAGED_POLICIES, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    translated: dict[str, Any] = translator.translate(packaged, parameter_values={})
    return translated


@pytest.fixture(scope="module")
def sam(repo: Path) -> dict[str, Any]:
    return _sam_template(repo)


@pytest.fixture(scope="module")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    return _translate(sam)


def _of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] in types}


def _function_behind(cfn: dict[str, Any], node: Any) -> str:
    """The function a reference names, directly or through one of its aliases."""
    (name,) = _refs(node)
    resource = cfn["Resources"][name]
    if resource["Type"] == "AWS::Lambda::Alias":
        (name,) = _refs(resource["Properties"]["FunctionName"])
    return name


def _refs(node: Any) -> set[str]:
    """Logical ids a node names through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(part.split("}")[0].split(".")[0] for part in text.split("${")[1:])
                if isinstance(value, list):
                    found |= _refs(value[1])
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def _statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ------------------------------------------------------------------ moto CloudFormation


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.mark.usefixtures("fake_credentials")
def test_translated_non_lambda_resources_are_created_by_cloudformation(cfn: dict[str, Any]) -> None:
    # Given the translated template without its Lambda resources (moto cannot run our code), nor
    # what points at them (the schedule's EventBridge rule targets MonitorFunction)
    resources = {name: r for name, r in cfn["Resources"].items() if not r["Type"].startswith("AWS::Lambda::")}
    dropped = set(cfn["Resources"]) - set(resources)
    for name, resource in list(resources.items()):
        if resource["Type"] == "AWS::Events::Rule" and _refs(resource["Properties"]) & dropped:
            del resources[name]
    skipped = {r["Type"] for r in resources.values() if resource_class_from_type(r["Type"]) is None}
    assert skipped == NOT_IN_MOTO, "moto's CloudFormation support changed: update NOT_IN_MOTO deliberately"
    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": cfn["Parameters"],
        "Conditions": cfn["Conditions"],
        "Resources": {name: r for name, r in resources.items() if r["Type"] not in NOT_IN_MOTO},
    }
    with mock_aws():
        client = boto3.client("cloudformation", region_name=REGION)
        # When CloudFormation creates it, with an alarm e-mail so that conditional resources exist too
        client.create_stack(
            StackName=STACK,
            # The SES identity is not modelled: what names it (its Ref is the address) names the address.
            TemplateBody=json.dumps(body).replace("${NoticeSenderIdentity}", "${OperatorEmail}"),
            Parameters=[
                {"ParameterKey": "Stage", "ParameterValue": "ci"},
                {"ParameterKey": "AlarmEmail", "ParameterValue": "alarms@example.org"},
                {"ParameterKey": "OperatorName", "ParameterValue": OPERATOR["OperatorName"]},
                {"ParameterKey": "OperatorEmail", "ParameterValue": OPERATOR["OperatorEmail"]},
            ],
            Capabilities=["CAPABILITY_IAM"],
        )

        def settled() -> Any:
            described = client.describe_stacks(StackName=STACK)["Stacks"][0]
            return None if described["StackStatus"].endswith("IN_PROGRESS") else described

        stack = wait_until(settled, interval_s=0.1, what="the stack's creation")

        # Then the stack is complete and holds every resource moto can model
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        summaries = client.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
        assert set(physical) == set(body["Resources"]), set(body["Resources"]) ^ set(physical)
        assert {r["ResourceStatus"] for r in summaries} == {"CREATE_COMPLETE"}

        # And what it created carries the template's protections
        logs = boto3.client("logs", region_name=REGION)
        groups = {
            g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/flagpost/ci/")["logGroups"]
        }
        assert len(groups) == len(_of_type(cfn, "AWS::Logs::LogGroup"))
        # (moto keeps no KmsKeyId on log groups; the translated template is checked for it below)
        assert {g["retentionInDays"] for g in groups.values()} == {90}
        # (moto's CloudFormation drops SSESpecification: the translated template is checked for it below)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for table in _of_type(cfn, "AWS::DynamoDB::Table"):
            described = dynamodb.describe_table(TableName=physical[table])["Table"]
            assert described["DeletionProtectionEnabled"] is True, table
        sqs = boto3.client("sqs", region_name=REGION)
        for queue in _of_type(cfn, "AWS::SQS::Queue"):
            attributes = sqs.get_queue_attributes(QueueUrl=physical[queue], AttributeNames=["All"])["Attributes"]
            assert attributes["KmsMasterKeyId"] == physical["FlagpostKey"], queue
        iam = boto3.client("iam", region_name=REGION)
        for role in _of_type(cfn, "AWS::IAM::Role"):
            assert not iam.list_attached_role_policies(RoleName=physical[role])["AttachedPolicies"], role
            assert iam.list_role_policies(RoleName=physical[role])["PolicyNames"], role


# ------------------------------------------------------------------ what moto skips


def test_ttl_attributes_are_the_ones_the_code_writes(cfn: dict[str, Any]) -> None:
    # moto's CloudFormation ignores TimeToLiveSpecification (`flagpost local` applies it itself).
    ttl = {
        name: r["Properties"].get("TimeToLiveSpecification")
        for name, r in _of_type(cfn, "AWS::DynamoDB::Table").items()
    }
    powertools_expiry = inspect.signature(DynamoDBPersistenceLayer.__init__).parameters["expiry_attr"].default
    assert ttl == {
        "ItemsTable": {"AttributeName": "expires_at", "Enabled": True},  # report texts
        # Feed entries are the platforms' record and have no expiry; their notices' quoted explanations do.
        "FeedTable": {"AttributeName": "expires_at", "Enabled": True},
        "StatsTable": {"AttributeName": "expires_at", "Enabled": True},  # stream-event markers
        "PrincipalsTable": {"AttributeName": "expires_at", "Enabled": True},  # rate windows, rotated-out keys
        "IdempotencyTable": {"AttributeName": powertools_expiry, "Enabled": True},
    }


def test_everything_at_rest_is_encrypted_with_the_stacks_key(cfn: dict[str, Any]) -> None:
    # moto's CloudFormation does not create Secrets Manager secrets either: any there must name the key.
    key_refs = {"FlagpostKey"}
    for name, secret in _of_type(cfn, "AWS::SecretsManager::Secret").items():
        assert _refs(secret["Properties"].get("KmsKeyId")) == key_refs, name
    for name, table in _of_type(cfn, "AWS::DynamoDB::Table").items():
        sse = table["Properties"]["SSESpecification"]
        assert sse["SSEEnabled"] is True, name
        assert sse["SSEType"] == "KMS", name
        assert _refs(sse["KMSMasterKeyId"]) == key_refs, name
    for name, queue in _of_type(cfn, "AWS::SQS::Queue").items():
        assert _refs(queue["Properties"]["KmsMasterKeyId"]) == key_refs, name
    for name, topic in _of_type(cfn, "AWS::SNS::Topic").items():
        assert _refs(topic["Properties"]["KmsMasterKeyId"]) == key_refs, name
    for name, group in _of_type(cfn, "AWS::Logs::LogGroup").items():
        assert _refs(group["Properties"]["KmsKeyId"]) == key_refs, name
    for name, function in _of_type(cfn, "AWS::Lambda::Function").items():
        assert _refs(function["Properties"]["KmsKeyArn"]) == key_refs, name
    key = cfn["Resources"]["FlagpostKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    services = {
        s["Principal"]["Service"] if isinstance(s["Principal"]["Service"], str) else "logs"
        for s in key["KeyPolicy"]["Statement"]
        if "Service" in s["Principal"]
    }
    assert "cloudwatch.amazonaws.com" in services, "alarms must be able to publish to the encrypted topic"


def test_data_survives_the_stack(cfn: dict[str, Any]) -> None:
    for name, resource in _of_type(cfn, "AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::Logs::LogGroup").items():
        assert resource.get("DeletionPolicy") == "Retain", name
        assert resource.get("UpdateReplacePolicy") == "Retain", name
    for name, table in _of_type(cfn, "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name
        assert props["DeletionProtectionEnabled"] is True, name
        assert props["BillingMode"] == "PAY_PER_REQUEST", name
    for name, group in _of_type(cfn, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


# ------------------------------------------------------------------ least privilege


def test_every_function_has_a_role_of_its_own_with_no_managed_policies(cfn: dict[str, Any]) -> None:
    functions = _of_type(cfn, "AWS::Lambda::Function")
    roles = _of_type(cfn, "AWS::IAM::Role")
    assert {f"{name}Role" for name in functions} == set(roles)
    for name, function in functions.items():
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}, name
    for name, role in roles.items():
        props = role["Properties"]
        assert not props.get("ManagedPolicyArns"), f"{name}: managed policies grant on '*'"
        trust = props["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ], name


def test_no_statement_allows_wildcard_actions_or_unscoped_resources(cfn: dict[str, Any]) -> None:
    for name, role in _of_type(cfn, "AWS::IAM::Role").items():
        assert "FullAccess" not in json.dumps(role), name
        for statement in _statements(role):
            assert statement["Effect"] == "Allow"
            actions = set(_listed(statement["Action"]))
            assert all("*" not in action for action in actions), (name, statement["Sid"])
            if "*" in _listed(statement["Resource"]):
                assert actions <= UNSCOPED_ACTIONS, (name, statement["Sid"])


def test_functions_write_only_their_own_log_group_and_no_one_deletes_items(cfn: dict[str, Any]) -> None:
    for name, function in _of_type(cfn, "AWS::Lambda::Function").items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        role = cfn["Resources"][f"{name}Role"]
        log_statements = [s for s in _statements(role) if any(a.startswith("logs:") for a in _listed(s["Action"]))]
        assert [_refs(s["Resource"]) for s in log_statements] == [{group}], name
        for statement in _statements(role):
            if "dynamodb:DeleteItem" in _listed(statement["Action"]):
                assert "ItemsTable" not in _refs(statement["Resource"]), name


def test_each_role_grants_only_the_actions_its_code_calls(cfn: dict[str, Any]) -> None:
    """The reviewed grant per function. Adding a boto3 call means adding it here and in the template."""

    def grants(role: str) -> set[tuple[str, str]]:
        return {
            (action, resource)
            for statement in _statements(cfn["Resources"][role])
            for action in _listed(statement["Action"])
            for resource in sorted(r for r in _refs(statement["Resource"]) if not r.startswith("AWS::")) or ["*"]
            if not action.startswith(("logs:", "xray:"))
        }

    def each(actions: str, resource: str) -> set[tuple[str, str]]:
        return {(action, resource) for action in actions.split()}

    dynamodb_item_writes = "dynamodb:GetItem dynamodb:PutItem dynamodb:UpdateItem"
    assert grants("MetaFunctionRole") == set()
    assert grants("ConsoleFunctionRole") == set()
    assert grants("IngestFunctionRole") == (
        each(f"{dynamodb_item_writes} dynamodb:BatchGetItem dynamodb:Query", "ItemsTable")
        | each("dynamodb:GetItem dynamodb:Query dynamodb:UpdateItem dynamodb:PutItem", "PrincipalsTable")
        | each(f"{dynamodb_item_writes} dynamodb:DeleteItem", "IdempotencyTable")
        | each("kms:Decrypt", "FlagpostKey")
    )
    assert grants("ReviewFunctionRole") == (
        each(f"{dynamodb_item_writes} dynamodb:BatchGetItem dynamodb:Query", "ItemsTable")
        | each("dynamodb:GetItem", "PrincipalsTable")
        | each("dynamodb:BatchGetItem", "StatsTable")  # queue counts and track records read counters
    )
    assert grants("FeedFunctionRole") == (
        each("dynamodb:Query dynamodb:GetItem dynamodb:PutItem dynamodb:BatchGetItem", "FeedTable")
        | each(f"{dynamodb_item_writes} dynamodb:BatchWriteItem", "ItemsTable")
        | each("dynamodb:GetItem", "PrincipalsTable")
    )
    assert grants("DispatchFunctionRole") == (
        each("dynamodb:DescribeStream dynamodb:GetRecords dynamodb:GetShardIterator dynamodb:ListStreams", "ItemsTable")
        | each("dynamodb:PutItem", "ItemsTable")
        | each(f"{dynamodb_item_writes} dynamodb:BatchGetItem dynamodb:Query", "FeedTable")
        | each("dynamodb:BatchGetItem dynamodb:Query", "ItemsTable")  # the reports a notice quotes
        | each("dynamodb:Scan", "PrincipalsTable")
        | each("dynamodb:PutItem dynamodb:UpdateItem", "StatsTable")
        | each("sqs:SendMessage", "ForwardQueue")
        | each("sqs:SendMessage", "DispatchFailureQueue")
        | each("kms:GenerateDataKey kms:Decrypt", "FlagpostKey")
    )
    assert grants("ForwardFunctionRole") == (
        each("sqs:ReceiveMessage sqs:DeleteMessage sqs:GetQueueAttributes sqs:ChangeMessageVisibility", "ForwardQueue")
        | each("sqs:SendMessage", "ForwardDeadLetterQueue")
        | each("sqs:SendMessage", "ForwardQueue")
        | each(
            f"{dynamodb_item_writes} dynamodb:BatchGetItem dynamodb:DeleteItem dynamodb:ConditionCheckItem", "FeedTable"
        )
        | each("dynamodb:GetItem dynamodb:Query", "PrincipalsTable")
        | each("dynamodb:UpdateItem", "StatsTable")
        | each("dynamodb:PutItem", "ItemsTable")
        | each("kms:Decrypt kms:GenerateDataKey", "FlagpostKey")
        | each("ses:SendEmail ses:SendRawEmail", "NoticeSenderIdentity")
    )
    assert grants("AdminFunctionRole") == (
        each(f"{dynamodb_item_writes} dynamodb:Query dynamodb:Scan", "PrincipalsTable")
        | each("dynamodb:Query", "StatsTable")
        | each("dynamodb:Query", "ItemsTable")  # the review-queue index only
        | each(
            "dynamodb:GetItem dynamodb:UpdateItem dynamodb:Query dynamodb:DeleteItem dynamodb:ConditionCheckItem",
            "FeedTable",
        )
        | each("sqs:SendMessage", "ForwardQueue")
        | each("kms:Encrypt kms:GenerateDataKey kms:Decrypt", "FlagpostKey")  # the last two only through SQS
    )


# ------------------------------------------------------------------ runtime, API, queues, alarms


def test_functions_run_on_arm64_with_tracing(cfn: dict[str, Any]) -> None:
    for name, function in _of_type(cfn, "AWS::Lambda::Function").items():
        props = function["Properties"]
        assert props["Architectures"] == ["arm64"], name
        assert props["Runtime"] == "python3.13", name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
    assert cfn["Resources"]["ForwardFunction"]["Properties"]["ReservedConcurrentExecutions"] == 5


def test_the_api_is_throttled_and_access_logged(cfn: dict[str, Any]) -> None:
    (stage,) = _of_type(cfn, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert props["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert "authorization" not in props["AccessLogSettings"]["Format"].lower()


def test_every_function_runs_from_a_snapstart_snapshot_through_its_alias(cfn: dict[str, Any]) -> None:
    """Routes and event sources invoke the published alias, whose versions SnapStart snapshots; one
    that invoked $LATEST would never resume from a snapshot."""
    functions = _of_type(cfn, "AWS::Lambda::Function")
    for name, function in functions.items():
        assert function["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        assert function["Properties"]["Runtime"] in {"python3.12", "python3.13"}, "SnapStart needs Python 3.12+"
    aliases = {_function_behind(cfn, {"Ref": a}): a for a in _of_type(cfn, "AWS::Lambda::Alias")}
    assert set(aliases) == set(functions)
    for name, mapping in _of_type(cfn, "AWS::Lambda::EventSourceMapping").items():
        assert _refs(mapping["Properties"]["FunctionName"]) <= set(aliases.values()), name
    for name, integration in _of_type(cfn, "AWS::ApiGatewayV2::Integration").items():
        assert _refs(integration["Properties"]["IntegrationUri"]) & set(aliases.values()), name
    for name, rule in _of_type(cfn, "AWS::Events::Rule").items():
        assert all(_refs(t["Arn"]) <= set(aliases.values()) for t in rule["Properties"]["Targets"]), name


def test_every_working_queue_has_a_dlq_and_every_terminal_queue_an_alarm(cfn: dict[str, Any]) -> None:
    queues = _of_type(cfn, "AWS::SQS::Queue")
    mappings = _of_type(cfn, "AWS::Lambda::EventSourceMapping")
    terminal = {q for r in queues.values() for q in _refs(r["Properties"].get("RedrivePolicy", {}))}
    terminal |= {q for m in mappings.values() for q in _refs(m["Properties"].get("DestinationConfig", {}))}
    working = set(queues) - terminal
    assert working == {"ForwardQueue"}
    assert terminal == {"ForwardDeadLetterQueue", "DispatchFailureQueue"}
    for queue in working:
        consumers = [m for m in mappings.values() if queue in _refs(m["Properties"]["EventSourceArn"])]
        for mapping in consumers:
            function = cfn["Resources"][_function_behind(cfn, mapping["Properties"]["FunctionName"])]["Properties"]
            assert queues[queue]["Properties"]["VisibilityTimeout"] >= 6 * function["Timeout"], queue
    alarmed = {q for a in _of_type(cfn, "AWS::CloudWatch::Alarm").values() for q in _refs(a["Properties"])}
    assert terminal <= alarmed


def test_alarms_notify_the_alarm_topic_and_cover_every_function(cfn: dict[str, Any]) -> None:
    alarms = _of_type(cfn, "AWS::CloudWatch::Alarm")
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        named = {ref for ref in _refs(alarm["Properties"]) if not ref.startswith("AWS::")}
        assert named <= set(cfn["Resources"]) | set(cfn["Parameters"]), name
    functions = set(_of_type(cfn, "AWS::Lambda::Function"))
    for name in ("FunctionErrorsAlarm", "FunctionThrottlesAlarm"):
        assert _refs(alarms[name]["Properties"]["Metrics"]) == functions, f"{name} misses a function"
    assert {"Api5xxRateAlarm", "DispatchIteratorAgeAlarm", "ForwardDeadLetterAlarm"} <= set(alarms)
    assert _refs(alarms["Api5xxRateAlarm"]["Properties"]["Metrics"]) == {"HttpApi"}


def test_notice_emails_go_only_from_the_declared_sender_identity(sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    """The notifier (c) is a template parameter given to every function; SES may send from its identity only."""
    identity = cfn["Resources"]["NoticeSenderIdentity"]
    assert identity["Type"] == "AWS::SES::EmailIdentity"
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "OperatorEmail"}
    assert "Default" not in sam["Parameters"]["OperatorName"], "every deployment names its own operator"
    assert "Default" not in sam["Parameters"]["OperatorEmail"]
    variables = sam["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["FLAGPOST_OPERATOR_NAME"] == {"Ref": "OperatorName"}
    assert variables["FLAGPOST_OPERATOR_EMAIL"] == {"Ref": "OperatorEmail"}
    senders = {
        name
        for name, role in _of_type(cfn, "AWS::IAM::Role").items()
        for statement in _statements(role)
        if any(action.startswith("ses:") for action in _listed(statement["Action"]))
    }
    assert senders == {"ForwardFunctionRole"}
    (statement,) = [s for s in _statements(cfn["Resources"]["ForwardFunctionRole"]) if s["Sid"] == "SendNoticeEmails"]
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${NoticeSenderIdentity}"
    }


def test_parameters_and_outputs_an_operator_needs(sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    assert {"Stage", "AlarmEmail", "OperatorName", "OperatorEmail"} <= set(sam["Parameters"])
    assert {"ApiUrl", "ConsoleUrl"} <= set(cfn["Outputs"])
    subscription = cfn["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


# ------------------------------------------------------------------ the first admin


@pytest.mark.usefixtures("fake_credentials")
def test_bootstrap_admin_finds_the_stacks_table_and_key_and_makes_a_working_key(
    template: Template, load_script: Callable[[str], ModuleType]
) -> None:
    bootstrap = load_script("infra/scripts/bootstrap_admin.py")
    with mock_aws():
        # Given a stack holding the template's tables and key (provisioned as `flagpost local` does)
        session = boto3.session.Session(region_name=REGION)
        stack = provision(template, session, stack_name=STACK, parameters={**OPERATOR, "Stage": "ci"})

        # When the operator bootstraps the first admin
        issued, targets = bootstrap.bootstrap(session, STACK, "Ops lead")

        # Then it landed in the stack's principals table, and its key authenticates as an admin
        assert targets.principals_table == stack.physical("PrincipalsTable")
        store = DynamoPrincipalStore(
            Table(targets.principals_table, client=session.client("dynamodb")),
            targets.kms_key_id,
            kms=session.client("kms"),
        )
        assert store.authenticate(issued.api_key).role is Role.ADMIN
        # And a second run refuses rather than minting admins silently
        with pytest.raises(SystemExit, match="already has an active admin"):
            bootstrap.bootstrap(session, STACK, "Someone else")
        assert bootstrap.bootstrap(session, STACK, "Deputy", another=True)[0].principal.role is Role.ADMIN


def test_the_monitor_runs_every_minute_and_its_silence_alarms(cfn: dict[str, Any]) -> None:
    rules = _of_type(cfn, "AWS::Events::Rule")
    (rule,) = [
        r
        for r in rules.values()
        if any(_function_behind(cfn, t["Arn"]) == "MonitorFunction" for t in r["Properties"]["Targets"])
    ]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    assert rule["Properties"].get("State", "ENABLED") == "ENABLED"
    alarm = cfn["Resources"]["OverdueItemsAlarm"]["Properties"]
    assert alarm["MetricName"] == "OverdueItems"
    assert alarm["Period"] == 60
    assert alarm["TreatMissingData"] == "breaching", "a monitor that stopped publishing must be noticed"
    permissions = _of_type(cfn, "AWS::Lambda::Permission")
    assert any(
        p["Properties"]["Principal"] == "events.amazonaws.com"
        and _function_behind(cfn, p["Properties"]["FunctionName"]) == "MonitorFunction"
        for p in permissions.values()
    )
