"""ServiceAccount tokens: JWTs (ES256) signed with the cluster's service-account key, as the TokenRequest API
issues them, mounted into Pods at /var/run/secrets/kubernetes.io/serviceaccount/token."""
from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ISSUER = "https://kubernetes.default.svc.cluster.local"
AUDIENCE = "https://kubernetes.default.svc.cluster.local"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_key(pki_dir: Path) -> ec.EllipticCurvePrivateKey:
    path = Path(pki_dir) / "sa.key"
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        path.chmod(0o600)
    return serialization.load_pem_private_key(path.read_bytes(), None)


def issue(key: ec.EllipticCurvePrivateKey, namespace: str, service_account: str, pod: dict | None = None,
          ttl: int = 3607, sa_uid: str = "", audiences: list[str] | None = None) -> str:
    now = int(time.time())
    claims = {"aud": list(audiences or [AUDIENCE]), "exp": now + ttl, "iat": now, "iss": ISSUER, "jti": str(uuid.uuid4()),
              "nbf": now, "sub": f"system:serviceaccount:{namespace}:{service_account}",
              "kubernetes.io": {"namespace": namespace,
                                "serviceaccount": {"name": service_account, "uid": sa_uid}}}
    if pod is not None:
        claims["kubernetes.io"]["pod"] = {"name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}
        if pod["spec"].get("nodeName"):
            claims["kubernetes.io"]["node"] = {"name": pod["spec"]["nodeName"]}
    header = {"alg": "ES256", "kid": _b64(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)[-16:])}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def verify(public_key: ec.EllipticCurvePublicKey, token: str) -> str | None:
    """The user a valid, unexpired token names (system:serviceaccount:NS:NAME), else None."""
    try:
        head, body, sig = token.split(".")
        raw = _unb64(sig)
        if len(raw) != 64:
            return None
        signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public_key.verify(signature, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(_unb64(body))
    except (ValueError, InvalidSignature, json.JSONDecodeError):
        return None
    now = time.time()
    if claims.get("iss") != ISSUER or not (claims.get("nbf", 0) - 60 <= now <= claims.get("exp", 0)):
        return None
    sub = claims.get("sub", "")
    return sub if sub.startswith("system:serviceaccount:") else None
