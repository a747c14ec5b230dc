"""Configuration: one pydantic tree, loaded from one YAML file."""

from pictag.config.alerts import AlertRuleConfig
from pictag.config.cameras import CameraConfig
from pictag.config.detector import DetectorConfig
from pictag.config.loader import ConfigProblems, load_config, parse_config
from pictag.config.mqtt import MqttConfig
from pictag.config.privacy import PrivacyConfig
from pictag.config.reid import ReidConfig
from pictag.config.reports import HeatmapConfig, ReportsConfig, SmtpConfig
from pictag.config.root import PictagConfig
from pictag.config.runtime import RuntimeConfig
from pictag.config.server import ServerConfig
from pictag.config.site import SiteConfig
from pictag.config.storage import StorageConfig
from pictag.config.tracking import TrackingConfig
from pictag.config.webhooks import WebhookConfig

__all__ = [
    "AlertRuleConfig",
    "HeatmapConfig",
    "MqttConfig",
    "ReportsConfig",
    "SmtpConfig",
    "WebhookConfig",
    "CameraConfig",
    "ConfigProblems",
    "DetectorConfig",
    "PictagConfig",
    "PrivacyConfig",
    "ReidConfig",
    "RuntimeConfig",
    "ServerConfig",
    "SiteConfig",
    "StorageConfig",
    "TrackingConfig",
    "load_config",
    "parse_config",
]
