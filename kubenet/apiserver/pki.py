"""Certificates and kubeconfig, made at first start like kubeadm: a CA, the apiserver's serving cert, an admin
client cert (O=system:masters), written under <data dir>/pki and a kubeconfig beside it."""
from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class PKI:
    dir: Path

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.dir / "apiserver.crt"

    @property
    def server_key(self) -> Path:
        return self.dir / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.dir / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.dir / "admin.key"

    @property
    def token_file(self) -> Path:
        return self.dir / "tokens.csv"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, 0o600)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _sign(subject, public_key, ca_key, issuer, days, extensions) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + dt.timedelta(days=days)))
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(ca_key, hashes.SHA256())


def ensure_pki(directory: str | Path, sans_dns: list[str], sans_ip: list[str]) -> PKI:
    """Create what is missing; existing certs are kept so clients stay valid across restarts."""
    pki = PKI(Path(directory))
    pki.dir.mkdir(parents=True, exist_ok=True)
    if not pki.ca_cert.exists():
        ca_key = _key()
        ca = _sign(_name("kubernetes"), ca_key.public_key(), ca_key, _name("kubernetes"), 3650,
                   [(x509.BasicConstraints(ca=True, path_length=None), True),
                    (x509.KeyUsage(True, False, True, False, False, True, True, False, False), True)])
        _write_key(pki.ca_key, ca_key)
        pki.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), None)
    if not pki.server_cert.exists():
        key = _key()
        san = x509.SubjectAlternativeName([x509.DNSName(d) for d in sans_dns] +
                                          [x509.IPAddress(ipaddress.ip_address(i)) for i in sans_ip])
        cert = _sign(_name("kube-apiserver"), key.public_key(), ca_key, ca.subject, 365,
                     [(san, False), (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
        _write_key(pki.server_key, key)
        pki.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if not pki.admin_cert.exists():
        key = _key()
        cert = _sign(_name("kubernetes-admin", "system:masters"), key.public_key(), ca_key, ca.subject, 365,
                     [(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)])
        _write_key(pki.admin_key, key)
        pki.admin_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if not pki.token_file.exists():
        # Static bearer tokens (kube-apiserver --token-auth-file format: token,user,uid,"groups").
        pki.token_file.write_text(f'{secrets.token_hex(16)},system:admin,admin,"system:masters"\n')
        os.chmod(pki.token_file, 0o600)
    return pki


def read_tokens(pki: PKI) -> dict[str, tuple[str, list[str]]]:
    tokens = {}
    for line in pki.token_file.read_text().splitlines():
        parts = line.split(",", 3)
        if len(parts) >= 3:
            groups = parts[3].strip('"').split(",") if len(parts) == 4 else []
            tokens[parts[0]] = (parts[1], groups)
    return tokens


def kubeconfig(pki: PKI, cluster: str, server: str) -> dict:
    b64 = lambda p: base64.b64encode(p.read_bytes()).decode()
    context = f"kubenet-{cluster}"
    return {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": context, "cluster": {"server": server, "certificate-authority-data": b64(pki.ca_cert)}}],
        "users": [{"name": context, "user": {"client-certificate-data": b64(pki.admin_cert),
                                             "client-key-data": b64(pki.admin_key)}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    }


def write_kubeconfig(path: str | Path, config: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    os.chmod(path, 0o600)


def merge_kubeconfig(path: str | Path, config: dict) -> None:
    """Merge one cluster/user/context into an existing kubeconfig and make it current (as kind does)."""
    path = Path(path)
    existing = yaml.safe_load(path.read_text()) if path.exists() else None
    if not existing:
        write_kubeconfig(path, config)
        return
    for section in ("clusters", "users", "contexts"):
        names = {e["name"] for e in config[section]}
        existing[section] = [e for e in existing.get(section) or [] if e["name"] not in names] + config[section]
    existing["current-context"] = config["current-context"]
    write_kubeconfig(path, existing)


def remove_from_kubeconfig(path: str | Path, context: str) -> None:
    path = Path(path)
    if not path.exists():
        return
    existing = yaml.safe_load(path.read_text()) or {}
    for section in ("clusters", "users", "contexts"):
        existing[section] = [e for e in existing.get(section) or [] if e["name"] != context]
    if existing.get("current-context") == context:
        existing["current-context"] = ""
    write_kubeconfig(path, existing)
