"""What a phone is told to set itself up: the same settings (server, TLS port, SRTP required,
login, password, name) in the formats phones read. Linphone's remote provisioning XML (the
softphone for Android, iOS and desktops), Yealink's .cfg and Grandstream's XML (desk phones).
Pure: no database, no settings."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    username: str
    password: str
    display_name: str
    host: str
    port: int
    realm: str

    @property
    def label(self) -> str:
        return f"{self.username} {self.display_name}"


LINPHONE_NS = "http://www.linphone.org/xsds/lpconfig.xsd"


def linphone_xml(profile: Profile) -> bytes:
    """Linphone's remote provisioning document: one account over TLS, SRTP mandatory."""
    ET.register_namespace("", LINPHONE_NS)
    root = ET.Element(f"{{{LINPHONE_NS}}}config")
    proxy = f"<sip:{profile.host}:{profile.port};transport=tls>"
    sections = {
        "sip": {"media_encryption": "srtp", "media_encryption_mandatory": "1", "default_proxy": "0"},
        "proxy_0": {
            "reg_proxy": proxy,
            "reg_route": proxy,
            "reg_identity": f'"{_plain(profile.display_name)}" <sip:{profile.username}@{profile.host}>',
            "reg_expires": "600",
            "reg_sendregister": "1",
            "realm": profile.realm,
        },
        "auth_info_0": {
            "username": profile.username,
            "passwd": profile.password,
            "realm": profile.realm,
            "domain": profile.host,
        },
    }
    for name, entries in sections.items():
        section = ET.SubElement(root, f"{{{LINPHONE_NS}}}section", name=name)
        for key, value in entries.items():
            ET.SubElement(section, f"{{{LINPHONE_NS}}}entry", name=key, overwrite="true").text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def yealink_cfg(profile: Profile) -> bytes:
    """Yealink's <MAC>.cfg: account 1 over TLS (transport 2), SRTP compulsory (2)."""
    lines = {
        "account.1.enable": "1",
        "account.1.label": profile.label,
        "account.1.display_name": profile.display_name,
        "account.1.auth_name": profile.username,
        "account.1.user_name": profile.username,
        "account.1.password": profile.password,
        "account.1.sip_server.1.address": profile.host,
        "account.1.sip_server.1.port": str(profile.port),
        "account.1.sip_server.1.transport_type": "2",
        "account.1.srtp_encryption": "2",
    }
    body = "".join(f"{key} = {_plain(value)}\n" for key, value in lines.items())
    return ("#!version:1.0.0.1\n" + body).encode()


def grandstream_xml(profile: Profile, mac: str) -> bytes:
    """Grandstream's cfg<MAC>.xml: account 1 over TLS (P130 2), SRTP enabled and forced (P183 2)."""
    root = ET.Element("gs_provision", version="1")
    ET.SubElement(root, "mac").text = mac
    config = ET.SubElement(root, "config", version="1")
    values = {
        "P271": "1",  # account active
        "P270": profile.label,  # account name
        "P47": f"{profile.host}:{profile.port}",  # SIP server
        "P35": profile.username,  # SIP user ID
        "P36": profile.username,  # authenticate ID
        "P34": profile.password,
        "P3": profile.display_name,
        "P130": "2",  # SIP transport: TLS
        "P183": "2",  # SRTP: enabled and forced
    }
    for key, value in values.items():
        ET.SubElement(config, key).text = _plain(value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _plain(value: str) -> str:
    """One line, no quotes: nothing in a name may start a setting of its own."""
    return re.sub(r"[\r\n\"]", " ", value)


YEALINK_FILE = re.compile(r"^(?P<mac>[0-9a-f]{12})\.cfg$")
YEALINK_COMMON = re.compile(r"^y0{10}[0-9a-f]{2}\.cfg$")
GRANDSTREAM_FILE = re.compile(r"^cfg(?P<mac>[0-9a-f]{12})\.xml$")
