"""``EcrRegistry``'s registry-wide calls: scanning configuration, account settings, the registry
policy, replication, pull-through cache rules and registry tokens (see core/ecr/api.py).

Several of these operations take no registry id: they act on the caller's own registry
(GetRegistryScanningConfiguration, Get/PutAccountSetting, Get/PutRegistryPolicy,
DescribeRegistry, PutReplicationConfiguration)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ecrctl.core.ecr.base import PAGE, Absent, EcrBase

if TYPE_CHECKING:
    from mypy_boto3_ecr.literals import ScanTypeType, UpstreamRegistryType
    from mypy_boto3_ecr.type_defs import (
        AuthorizationDataTypeDef,
        DescribeRegistryResponseTypeDef,
        PullThroughCacheRuleTypeDef,
        RegistryScanningConfigurationTypeDef,
        RegistryScanningRuleUnionTypeDef,
        ReplicationConfigurationUnionTypeDef,
        ValidatePullThroughCacheRuleResponseTypeDef,
    )

NO_RULE = {"PullThroughCacheRuleNotFoundException": Absent}


class RegistryCalls(EcrBase):
    # -- scanning, account settings, the registry policy ---------------------------------------

    def registry_scanning(self) -> RegistryScanningConfigurationTypeDef:
        """GetRegistryScanningConfiguration."""
        with self._answers():
            got = self._ecr.get_registry_scanning_configuration()
        return got.get("scanningConfiguration") or {}

    def set_registry_scanning(
        self, scan_type: ScanTypeType, rules: Sequence[RegistryScanningRuleUnionTypeDef]
    ) -> None:
        """PutRegistryScanningConfiguration."""
        with self._answers():
            self._ecr.put_registry_scanning_configuration(scanType=scan_type, rules=rules)

    def account_setting(self, name: str) -> str | None:
        """GetAccountSetting's value (of the caller's account)."""
        with self._answers():
            return self._ecr.get_account_setting(name=name).get("value")

    def set_account_setting(self, name: str, value: str) -> None:
        """PutAccountSetting."""
        with self._answers():
            self._ecr.put_account_setting(name=name, value=value)

    def registry_policy_text(self) -> str | None:
        """GetRegistryPolicy: the policy text; None when the registry has none."""
        try:
            with self._answers("", {"RegistryPolicyNotFoundException": Absent}):
                return self._ecr.get_registry_policy().get("policyText")
        except Absent:
            return None

    def write_registry_policy(self, text: str) -> None:
        """PutRegistryPolicy."""
        with self._answers():
            self._ecr.put_registry_policy(policyText=text)

    # -- replication ---------------------------------------------------------------------------

    def registry_replication(self) -> DescribeRegistryResponseTypeDef:
        """DescribeRegistry: the registry's id and its replication configuration."""
        with self._answers():
            return self._ecr.describe_registry()

    def set_replication(self, configuration: ReplicationConfigurationUnionTypeDef) -> None:
        """PutReplicationConfiguration."""
        with self._answers():
            self._ecr.put_replication_configuration(replicationConfiguration=configuration)

    # -- pull-through cache rules --------------------------------------------------------------

    def pull_through_rules(self) -> Iterator[PullThroughCacheRuleTypeDef]:
        """DescribePullThroughCacheRules: every rule, every page."""
        pages = self._ecr.get_paginator("describe_pull_through_cache_rules").paginate(
            **self._id(), PaginationConfig=PAGE
        )
        with self._answers():
            for page in pages:
                yield from page.get("pullThroughCacheRules") or []

    def pull_through_rule(self, prefix: str) -> PullThroughCacheRuleTypeDef | None:
        """DescribePullThroughCacheRules of one prefix; None when there is no such rule."""
        try:
            with self._answers("", NO_RULE):
                got = self._ecr.describe_pull_through_cache_rules(
                    ecrRepositoryPrefixes=[prefix], **self._id()
                )
        except Absent:
            return None
        rules = got.get("pullThroughCacheRules") or []
        return rules[0] if rules else None

    def create_pull_through_rule(
        self,
        prefix: str,
        upstream_url: str,
        upstream: UpstreamRegistryType,
        credential_arn: str | None = None,
    ) -> None:
        """CreatePullThroughCacheRule."""
        with self._answers():
            if credential_arn:
                self._ecr.create_pull_through_cache_rule(
                    ecrRepositoryPrefix=prefix,
                    upstreamRegistryUrl=upstream_url,
                    upstreamRegistry=upstream,
                    credentialArn=credential_arn,
                    **self._id(),
                )
            else:
                self._ecr.create_pull_through_cache_rule(
                    ecrRepositoryPrefix=prefix,
                    upstreamRegistryUrl=upstream_url,
                    upstreamRegistry=upstream,
                    **self._id(),
                )

    def update_pull_through_rule(self, prefix: str, credential_arn: str) -> None:
        """UpdatePullThroughCacheRule: a new credential for the rule."""
        with self._answers():
            self._ecr.update_pull_through_cache_rule(
                ecrRepositoryPrefix=prefix, credentialArn=credential_arn, **self._id()
            )

    def remove_pull_through_rule(self, prefix: str) -> bool:
        """DeletePullThroughCacheRule; False when there was no such rule."""
        try:
            with self._answers("", NO_RULE):
                self._ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix, **self._id())
        except Absent:
            return False
        return True

    def check_pull_through_rule(
        self, prefix: str
    ) -> ValidatePullThroughCacheRuleResponseTypeDef | None:
        """ValidatePullThroughCacheRule; None when there is no such rule."""
        try:
            with self._answers("", NO_RULE):
                return self._ecr.validate_pull_through_cache_rule(
                    ecrRepositoryPrefix=prefix, **self._id()
                )
        except Absent:
            return None

    # -- registry tokens -----------------------------------------------------------------------

    def authorization_data(
        self, registry_ids: Sequence[str] = ()
    ) -> list[AuthorizationDataTypeDef]:
        """GetAuthorizationToken for ``registry_ids`` (none: this registry, or the caller's)."""
        ids = list(registry_ids) or ([self.registry_id] if self.registry_id else [])
        with self._answers():
            if ids:
                got = self._ecr.get_authorization_token(registryIds=ids)
            else:
                got = self._ecr.get_authorization_token()
        return got.get("authorizationData") or []
