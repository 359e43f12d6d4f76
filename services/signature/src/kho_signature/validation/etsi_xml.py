"""The ETSI TS 119 102-2 validation report (XML), kept beside the JSON report.

Each signature that reached AdES validation is reported by pyHanko's generator, with the main indication and
sub-indication replaced by the service's final verdict (which adds the coverage, modification and validity
window checks). Files that could not be parsed get a report with the verdict only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kho_contracts.common import Indication
from pyhanko.generated.etsi import ts_11910202
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.report import tools
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDateTime

from kho_signature.validation.report import ValidationReport

_MAIN = {
    Indication.TOTAL_PASSED: "urn:etsi:019102:mainindication:total-passed",
    Indication.TOTAL_FAILED: "urn:etsi:019102:mainindication:total-failed",
    Indication.INDETERMINATE: "urn:etsi:019102:mainindication:indeterminate",
}


def _status(indication: Indication, sub: str | None) -> ts_11910202.ValidationStatusType:
    return ts_11910202.ValidationStatusType(
        main_indication=_MAIN[indication],
        sub_indication=(f"urn:etsi:019102:subindication:{sub}",) if sub else (),
    )


def _render(report: ts_11910202.ValidationReport) -> str:
    return str(XmlSerializer(config=SerializerConfig(indent="  ")).render(report, ns_map=tools.NAMESPACES))


def minimal_report(report: ValidationReport) -> str:
    single = ts_11910202.SignatureValidationReportType(
        validation_time_info=ts_11910202.ValidationTimeInfoType(
            validation_time=XmlDateTime.from_datetime(report.validated_at)
        ),
        signature_validation_status=_status(report.indication, report.sub_indication),
    )
    return _render(ts_11910202.ValidationReport(signature_validation_report=(single,)))


def full_report(report: ValidationReport, parts: list[tuple[EmbeddedPdfSignature, Any]]) -> str:
    singles = []
    objects: dict[str, Any] = {}
    for sig, (result, indication, code) in parts:
        try:
            single = tools._generate_report(sig, result)
        except Exception:  # a partial status (e.g. no signing certificate): report the verdict alone
            single = ts_11910202.SignatureValidationReportType(
                validation_time_info=ts_11910202.ValidationTimeInfoType(
                    validation_time=XmlDateTime.from_datetime(report.validated_at)
                ),
            )
        singles.append(dataclasses.replace(single, signature_validation_status=_status(indication, code)))
        for vo in getattr(result, "validation_objects", ()):
            packaged = tools._package_validation_object(vo)
            objects.setdefault(packaged.id, packaged)
    failed_early = [s for s in report.signatures if s.sub_indication == "FORMAT_FAILURE"]
    for sig_report in failed_early:
        singles.append(ts_11910202.SignatureValidationReportType(
            validation_time_info=ts_11910202.ValidationTimeInfoType(
                validation_time=XmlDateTime.from_datetime(report.validated_at)
            ),
            signature_validation_status=_status(sig_report.indication, sig_report.sub_indication),
        ))
    return _render(ts_11910202.ValidationReport(
        signature_validation_report=tuple(singles),
        signature_validation_objects=ts_11910202.ValidationObjectListType(tuple(objects.values())) if objects else None,
    ))
