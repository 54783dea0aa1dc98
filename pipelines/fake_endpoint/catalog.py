"""Static Lightsail catalogue (bundles, blueprints, firewall rules, tags) the fake fleet draws from."""

from datetime import datetime, timezone

# Fixed "now" so the fleet never depends on the wall clock.
REFERENCE_TS = datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()
OLD_ERA = (datetime(2017, 1, 1, tzinfo=timezone.utc).timestamp(), datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp())
NEW_ERA = (OLD_ERA[1], REFERENCE_TS - 86_400)  # "older" instances predate add-ons, IPv6 and IMDS options

# size -> (cpuCount, ramSizeInGb, systemDiskGb, monthly transfer GB, weight)
BUNDLE_SIZES = {
    "nano": (2, 0.5, 20, 1024, 25),
    "micro": (2, 1.0, 40, 2048, 30),
    "small": (2, 2.0, 60, 3072, 25),
    "medium": (2, 4.0, 80, 4096, 12),
    "large": (2, 8.0, 160, 5120, 8),
}

# blueprintId -> (blueprintName, username, is_windows, weight)
BLUEPRINTS = {
    "ubuntu_22_04": ("Ubuntu", "ubuntu", False, 35),
    "amazon_linux_2023": ("Amazon Linux 2023", "ec2-user", False, 20),
    "wordpress": ("WordPress", "bitnami", False, 20),
    "debian_12": ("Debian", "admin", False, 15),
    "windows_server_2022": ("Windows Server 2022", "Administrator", True, 10),
}

# (code, name, weight): Lightsail uses the EC2 state codes.
STATES = (
    (16, "running", 75),
    (80, "stopped", 17),
    (0, "pending", 3),
    (64, "stopping", 5),
)

# Only some regions use other letters than a-c.
AZ_LETTERS = {"us-east-1": "abcdef", "ap-northeast-1": "acd", "ap-northeast-2": "abcd"}
ROLES = ("web", "api", "db", "worker", "cache", "vpn", "jump", "build", "shop", "blog")
ENVS = ("prod", "staging", "dev", "test")
PUBLIC_FIRST_OCTETS = (3, 13, 15, 16, 18, 34, 35, 43, 44, 52, 54, 63, 99, 100)
SSH_KEYS = ("LightsailDefaultKeyPair", "LightsailDefaultKeyPair", "LightsailDefaultKeyPair", "ops-2024", "deploy")


def _port(lo, hi, protocol="tcp", access_from="Anywhere (0.0.0.0/0 and ::/0)", access_type="public",
          cidrs=("0.0.0.0/0",), ipv6=("::/0",), aliases=()):
    # The wire says "public"/"private" in lower case although the model enum is "Public"/"Private".
    return {"fromPort": lo, "toPort": hi, "protocol": protocol, "accessFrom": access_from,
            "accessType": access_type, "commonName": "", "accessDirection": "inbound",
            "cidrs": list(cidrs), "ipv6Cidrs": list(ipv6), "cidrListAliases": list(aliases)}


_SSH = _port(22, 22)
_SSH_BROWSER = _port(22, 22, access_from="Custom", cidrs=(), ipv6=(), aliases=("lightsail-connect",))
_SSH_OFFICE = _port(22, 22, access_from="Custom", cidrs=("203.0.113.0/24", "198.51.100.7/32"), ipv6=("2001:db8::/32",))
_HTTP, _HTTPS, _RDP = _port(80, 80), _port(443, 443), _port(3389, 3389)
_ALL = _port(0, 65535, "all")
_WIREGUARD = _port(51820, 51820, "udp", access_from="Anywhere (0.0.0.0/0)", ipv6=())
_PING = _port(8, -1, "icmp", access_from="Anywhere (0.0.0.0/0)", ipv6=())
_POSTGRES = _port(5432, 5432, access_from="172.26.0.0/16", access_type="private", cidrs=("172.26.0.0/16",), ipv6=())

LINUX_PORT_SETS = (
    [_SSH, _HTTP], [_SSH, _HTTP], [_SSH_BROWSER, _HTTP, _HTTPS], [_SSH_OFFICE, _HTTP, _HTTPS, _PING],
    [_SSH, _WIREGUARD, _PING], [_SSH_BROWSER, _POSTGRES], [_ALL],
)
WORDPRESS_PORT_SETS = ([_SSH, _HTTP, _HTTPS], [_SSH_BROWSER, _HTTP, _HTTPS])
WINDOWS_PORT_SETS = ([_RDP, _HTTP], [_RDP, _HTTP, _HTTPS, _PING])

INSTANCE_TAG_SETS = (
    [], [], [{"key": "env", "value": "prod"}],
    [{"key": "env", "value": "staging"}, {"key": "team", "value": "platform"}],
    [{"key": "backup"}],  # key-only tag: no "value" key at all
    [{"key": "env", "value": "dev"}, {"key": "owner", "value": ""}],
    [{"key": "équipe", "value": "équipe données"}],
    [{"key": "project", "value": "日本語"}, {"key": "env", "value": "prod"}],
    [{"key": "mood", "value": "🚀 launch"}, {"key": "backup"}],
    [{"key": "cost-center", "value": "cc-1042"}, {"key": "env", "value": "prod"},
     {"key": "managed-by", "value": "terraform"}],
)
DISK_TAG_SETS = ([], [{"key": "purpose", "value": "data"}], [{"key": "backup"}])
DATA_DISK_SIZES = (8, 32, 64, 128, 256, 512)
AUTO_MOUNT = ("Mounted", "Mounted", "Mounted", "Pending", "NotMounted", "Failed")

SSH_TO_WORLD = _SSH  # the rule a night of change may add: SSH open to 0.0.0.0/0 and ::/0
