"""cloudbase-init's names (class paths of its metadata services and plugins, its options) and
what each one is in wincloud: the data behind ``config_import``. A target that wincloud does
not have (yet) is reported as not converted, so these tables may name plugins and keys ahead
of their arrival."""

from __future__ import annotations

from typing import Final

# cloudbase-init's defaults (1.1.x) for the two lists that decide what it did.
CBI_SERVICES: Final = (
    "httpservice.HttpService",
    "configdrive.ConfigDriveService",
    "ec2service.EC2Service",
    "maasservice.MaaSHttpService",
    "cloudstack.CloudStack",
    "opennebulaservice.OpenNebulaService",
)
CBI_PLUGINS: Final = (
    "mtu.MTUPlugin",
    "ntpclient.NTPClientPlugin",
    "sethostname.SetHostNamePlugin",
    "createuser.CreateUserPlugin",
    "networkconfig.NetworkConfigPlugin",
    "licensing.WindowsLicensingPlugin",
    "sshpublickeys.SetUserSSHPublicKeysPlugin",
    "extendvolumes.ExtendVolumesPlugin",
    "userdata.UserDataPlugin",
    "setuserpassword.SetUserPasswordPlugin",
    "winrmlistener.ConfigWinRMListenerPlugin",
    "winrmcertificateauth.ConfigWinRMCertificateAuthPlugin",
    "localscripts.LocalScriptsPlugin",
)

# "module.Class" (the last two parts of the class path: common.* and the older windows.*
# spellings both match) -> (our registry name, what it does).
SERVICE_MAP: Final[dict[str, tuple[str, str]]] = {
    "httpservice.HttpService": ("openstack_http", "the OpenStack metadata service"),
    "configdrive.ConfigDriveService": ("configdrive", "config drives"),
    "ec2service.EC2Service": ("ec2", "the EC2 metadata service"),
    "nocloudservice.NoCloudConfigDriveService": ("nocloud", "NoCloud seeds"),
    "maasservice.MaaSHttpService": ("", "MAAS metadata"),
    "cloudstack.CloudStack": ("cloudstack", "CloudStack metadata"),
    "opennebulaservice.OpenNebulaService": ("opennebula", "OpenNebula contexts"),
    "ovfservice.OvfService": ("ovf", "OVF environments"),
    "azureservice.AzureService": ("", "Azure metadata"),
    "gceservice.GCEService": ("", "GCE metadata"),
    "packet.PacketService": ("", "Packet/Equinix metadata"),
    "vmwareguestinfoservice.VMwareGuestInfoService": ("vmware", "VMware guestinfo"),
}
PLUGIN_MAP: Final[dict[str, tuple[str, str]]] = {
    "sethostname.SetHostNamePlugin": ("hostname", "sets the host name"),
    "createuser.CreateUserPlugin": ("users", "creates the admin user"),
    "setuserpassword.SetUserPasswordPlugin": ("password", "sets the admin password"),
    "sshpublickeys.SetUserSSHPublicKeysPlugin": ("ssh_keys", "writes SSH keys"),
    "userdata.UserDataPlugin": ("userdata", "runs user-data"),
    "networkconfig.NetworkConfigPlugin": ("network", "applies network_data.json"),
    "ntpclient.NTPClientPlugin": ("ntp", "configures the NTP client"),
    "licensing.WindowsLicensingPlugin": ("licensing", "activates Windows"),
    "extendvolumes.ExtendVolumesPlugin": ("extend_volumes", "extends volumes"),
    "winrmlistener.ConfigWinRMListenerPlugin": ("winrm", "sets up the WinRM listener"),
    "winrmcertificateauth.ConfigWinRMCertificateAuthPlugin": ("winrm", "WinRM certificate auth"),
    "localscripts.LocalScriptsPlugin": ("local_scripts", "runs local scripts"),
    "mtu.MTUPlugin": ("network", "sets the MTU"),  # wincloud: network_data.json's MTU
    "rdp.RDPSettingsPlugin": ("rdp", "sets RDP options"),
    "displayidletimeout.DisplayIdleTimeoutConfigPlugin": ("display_idle", "display timeout"),
    "pagefiles.PageFilesPlugin": ("pagefile", "sets up page files"),
    "sanpolicy.SANPolicyPlugin": ("san_policy", "sets the SAN policy"),
}

FIRST_LOGON: Final = {"no": "never", "clear_text_injected_only": "given", "always": "always"}

# Options with a key in our config: cloudbase-init option -> (our dotted key, how the value
# converts: "bool", "int", "str", "list", or a table {their value, lower case: ours}).
# An empty key: no equivalent, SAME_AS_OURS says which value is harmless.
OPTION_MAP: Final[dict[str, tuple[str, str | dict[str, str]]]] = {
    "inject_user_password": ("", "bool"),  # wincloud always sets a given admin_pass
    "first_logon_behaviour": ("password.change_at_first_logon", FIRST_LOGON),
    "netbios_host_name_compatibility": ("hostname.netbios_compatible", "bool"),
    "volumes_to_extend": ("", "list"),  # cloudbase-init numbers volumes, wincloud names them
    "local_scripts_path": ("local_scripts.path", "str"),
    "activate_windows": ("licensing.activate", "bool"),
    "kms_host": ("licensing.kms_host", "str"),
    "set_avma_product_key": ("licensing.avma", "bool"),
    "set_kms_product_key": ("licensing.kms_client_key", "bool"),
    "winrm_configure_https_listener": ("winrm.https_listener", "bool"),
    "winrm_configure_http_listener": ("winrm.http_listener", "bool"),
    "winrm_enable_basic_auth": ("winrm.allow_basic", "bool"),
    "display_idle_timeout": ("display_idle.timeout", "int"),
    "san_policy": (
        "san_policy.policy",
        {"onlineall": "online_all", "offlineall": "offline_all", "offlineshared": "offline_shared"},
    ),
}
# When our config has no key for the option: the value that means what wincloud does anyway,
# and what to do about any other value.
SAME_AS_OURS: Final[dict[str, tuple[str, str]]] = {
    "inject_user_password": (
        "true",
        "wincloud sets a given admin_pass; launch instances without one to get a generated "
        "password",
    ),
    "first_logon_behaviour": ("no", "expire the password from a user-data script if needed"),
    "volumes_to_extend": (
        "",
        "wincloud's extend_volumes.volumes names volumes (C:), not numbers: set it by hand",
    ),
}

# Options wincloud does not need: what it does instead.
NOT_NEEDED: Final[dict[str, str]] = {
    "stop_service_on_exit": "the agent exits after each run; its service wrapper decides the rest",
    "check_latest_version": "wincloud never checks for new versions",
    "mtools_path": "wincloud reads VFAT drives itself",
    "bsdtar_path": "wincloud reads ISO drives itself",
    **dict.fromkeys(
        (
            *(f"config_drive_{k}" for k in ("raw_hhd", "cdrom", "vfat", "types", "locations")),
            *(f"config_drive.{k}" for k in ("raw_hdd", "cdrom", "vfat", "types", "locations")),
        ),
        "wincloud finds a config-2 volume, ISO 9660 or VFAT, on any device",
    ),
    "default_log_levels": "wincloud logs only its own events",
}
