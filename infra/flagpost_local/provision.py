"""Creates every AWS resource template.yaml declares inside an emulator (moto), through CloudFormation.

The template's own non-Lambda resources are handed to moto's CloudFormation, which resolves the
intrinsics (Ref, GetAtt, Sub, conditions) exactly as it would the deployed stack. Each function's
environment and event-source ARNs are resolved by adding them as stack outputs. What moto's
CloudFormation skips is applied here directly: Secrets Manager secrets, DynamoDB TTL, and SES e-mail
identities (created, and so verified, in the emulator's SES: it refuses to send from anything else).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flagpost_local.template import LOCAL_RESOURCE_TYPES, QueueSource, StreamSource, Template

if TYPE_CHECKING:
    from boto3.session import Session

DEFAULT_STACK_NAME = "flagpost-local"


@dataclass
class Stack:
    """What the emulator holds after provisioning, keyed by the template's logical ids."""

    name: str
    physical_ids: dict[str, str]
    function_env: dict[str, dict[str, str]]
    event_source_arns: dict[tuple[str, str], str]  # (function, event name) -> queue or stream ARN
    outputs: dict[str, str] = field(default_factory=dict)

    def physical(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]


def _is_intrinsic(value: Any) -> bool:
    return isinstance(value, dict)


def _replace_refs(node: Any, replacements: dict[str, str]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in replacements:
            return replacements[node["Ref"]]
        return {k: _replace_refs(v, replacements) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_refs(v, replacements) for v in node]
    return node


def _create_secrets(template: Template, session: Session, stack_name: str) -> dict[str, str]:
    client = session.client("secretsmanager")
    arns: dict[str, str] = {}
    for logical_id, resource in template.resources_of_type("AWS::SecretsManager::Secret").items():
        props = resource.get("Properties", {})
        name = props.get("Name", f"{stack_name}-{logical_id}")
        if not isinstance(name, str):
            raise ValueError(f"{logical_id}: the local stack needs a literal secret Name (or none)")
        if "SecretString" in props:
            secret = str(props["SecretString"])
        else:
            length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 32))
            secret = client.get_random_password(PasswordLength=length, ExcludePunctuation=True)["RandomPassword"]
        arns[logical_id] = client.create_secret(Name=name, SecretString=secret)["ARN"]
    return arns


def provision(
    template: Template,
    session: Session,
    stack_name: str = DEFAULT_STACK_NAME,
    parameters: dict[str, str] | None = None,
) -> Stack:
    """Create the template's resources in whatever endpoint `session`'s clients talk to."""
    secret_arns = _create_secrets(template, session, stack_name)
    resources = {
        name: res
        for name, res in template.resources.items()
        if res.get("Type") in LOCAL_RESOURCE_TYPES and res.get("Type") != "AWS::SecretsManager::Secret"
    }

    # Every intrinsic a function needs becomes an output, so that CloudFormation resolves it.
    outputs: dict[str, Any] = {}
    wanted: dict[str, tuple[str, str, str]] = {}  # output key -> (kind, function, name)
    for spec in template.functions:
        for var, value in spec.environment.items():
            if _is_intrinsic(value):
                key = f"Env{len(wanted)}"
                outputs[key] = {"Value": value}
                wanted[key] = ("env", spec.logical_id, var)
        sources: tuple[QueueSource | StreamSource, ...] = (*spec.queues, *spec.streams)
        for source in sources:
            key = f"Src{len(wanted)}"
            outputs[key] = {"Value": source.arn_expr}
            wanted[key] = ("source", spec.logical_id, source.name)
    identities = template.resources_of_type("AWS::SES::EmailIdentity")
    for name, resource in identities.items():
        key = f"Ses{len(wanted)}"
        outputs[key] = {"Value": resource["Properties"]["EmailIdentity"]}
        wanted[key] = ("physical", name, "")
    for name in resources:
        key = f"Phys{len(wanted)}"
        outputs[key] = {"Value": {"Ref": name}}
        wanted[key] = ("physical", name, "")

    body = _replace_refs(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": template.body.get("Parameters", {}),
            "Conditions": template.body.get("Conditions", {}),
            "Resources": resources,
            "Outputs": outputs,
        },
        secret_arns,
    )
    cfn = session.client("cloudformation")
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(body),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
    )
    described = _wait_for_stack(cfn, stack_name)
    resolved = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}

    function_env = {
        spec.logical_id: {k: str(v) for k, v in spec.environment.items() if not _is_intrinsic(v)}
        for spec in template.functions
    }
    source_arns: dict[tuple[str, str], str] = {}
    physical: dict[str, str] = dict(secret_arns)
    for key, (kind, owner, name) in wanted.items():
        if key not in resolved:
            raise RuntimeError(f"the emulator could not resolve {kind} {owner}.{name}")
        if kind == "env":
            function_env[owner][name] = resolved[key]
        elif kind == "source":
            source_arns[(owner, name)] = resolved[key]
        else:
            physical[owner] = resolved[key]

    _apply_ttl(template, session, physical)
    sesv2 = session.client("sesv2")
    for name in identities:
        sesv2.create_email_identity(EmailIdentity=physical[name])
    return Stack(
        name=stack_name,
        physical_ids=physical,
        function_env=function_env,
        event_source_arns=source_arns,
        outputs=resolved,
    )


def _wait_for_stack(cfn: Any, stack_name: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        stack: dict[str, Any] = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        status = stack["StackStatus"]
        if status == "CREATE_COMPLETE":
            return stack
        if status.endswith("FAILED") or status.startswith("ROLLBACK") or time.monotonic() > deadline:
            raise RuntimeError(f"stack {stack_name}: {status} {stack.get('StackStatusReason', '')}")
        time.sleep(0.1)


def _apply_ttl(template: Template, session: Session, physical: dict[str, str]) -> None:
    dynamodb = session.client("dynamodb")
    for logical_id, resource in template.resources_of_type("AWS::DynamoDB::Table").items():
        ttl = resource.get("Properties", {}).get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=physical[logical_id],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
