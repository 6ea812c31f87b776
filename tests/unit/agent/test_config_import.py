"""cloudbase-init.conf -> our TOML: one test per mapping, the warnings, refusals of files that
are not INI, and round trips through tomllib and our own config loader."""

from __future__ import annotations

import tomllib

import pytest

from wincloud.agent.cloudbase_names import (
    CBI_PLUGINS,
    NOT_NEEDED,
    OPTION_MAP,
    PLUGIN_MAP,
    SAME_AS_OURS,
    SERVICE_MAP,
)
from wincloud.agent.config import AgentConfig, load_config, parse_config
from wincloud.agent.config_import import (
    Conversion,
    has_key,
    import_cloudbase_conf,
)
from wincloud.agent.plugins import REGISTRY as PLUGINS
from wincloud.agent.tomlwrite import write_atomic
from wincloud.errors import ConfigError

SVC = "cloudbaseinit.metadata.services."
PLG = "cloudbaseinit.plugins."

# A file as cloudbase-init's installer writes it, with the options users change most.
SAMPLE = rf"""[DEFAULT]
# written by the cloudbase-init installer
username=Admin
groups=Administrators
inject_user_password=true
first_logon_behaviour=no
config_drive_raw_hhd=true
config_drive_cdrom=true
config_drive_vfat=true
bsdtar_path=C:\Program Files\Cloudbase Solutions\Cloudbase-Init\bin\bsdtar.exe
mtools_path=C:\Program Files\Cloudbase Solutions\Cloudbase-Init\bin\
verbose=true
debug=true
logdir=C:\Program Files\Cloudbase Solutions\Cloudbase-Init\log\
logfile=cloudbase-init.log
default_log_levels=comtypes=INFO,suds=INFO,iso8601=WARN,requests=WARN
logging_serial_port_settings=COM1,115200,N,8
mtu_use_dhcp_config=true
ntp_use_dhcp_config=true
local_scripts_path=C:\Program Files\Cloudbase Solutions\Cloudbase-Init\LocalScripts\
metadata_services={SVC}configdrive.ConfigDriveService,
    {SVC}httpservice.HttpService,
    {SVC}ec2service.EC2Service
plugins={PLG}common.sethostname.SetHostNamePlugin,{PLG}windows.createuser.CreateUserPlugin,
    {PLG}common.setuserpassword.SetUserPasswordPlugin,
    {PLG}common.sshpublickeys.SetUserSSHPublicKeysPlugin,{PLG}common.userdata.UserDataPlugin
allow_reboot=false
stop_service_on_exit=false
check_latest_version=false
retry_count=5
retry_count_interval=4

[openstack]
metadata_base_url=http://169.254.169.254/
add_metadata_private_ip_route=false
"""


def convert(tmp_path, text: str, name: str = "cloudbase-init.conf") -> Conversion:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_cloudbase_conf(path)


def default(text: str) -> str:
    return "[DEFAULT]\n" + text


def warnings_about(conversion: Conversion, option: str) -> list[str]:
    return [n.message for n in conversion.warnings if n.option == option]


def notes_about(conversion: Conversion, option: str) -> list[str]:
    return [n.message for n in conversion.notes if n.option == option and not n.is_warning]


# -- the account ----------------------------------------------------------------------------


def test_username_becomes_users_username(tmp_path):
    assert convert(tmp_path, default("username=Admin\n")).data["users"]["username"] == "Admin"


def test_groups_list_becomes_users_groups(tmp_path):
    out = convert(tmp_path, default("groups=Administrators, Remote Desktop Users\n"))
    assert out.data["users"]["groups"] == ["Administrators", "Remote Desktop Users"]


@pytest.mark.parametrize("groups", ["Administrators", "administrators "])
def test_the_administrators_group_becomes_our_language_independent_default(tmp_path, groups):
    out = convert(tmp_path, default(f"groups={groups}\n"))
    assert "groups" not in out.data.get("users", {})
    assert notes_about(out, "groups")


def test_unset_first_logon_behaviour_keeps_cloudbase_inits_default(tmp_path):
    out = convert(tmp_path, default("username=x\n"))
    if has_key("password.change_at_first_logon"):
        assert out.data["password"]["change_at_first_logon"] == "given"
    else:
        assert "password" not in out.data


def test_unset_username_and_groups_keep_our_defaults_with_a_note(tmp_path):
    out = convert(tmp_path, default("allow_reboot=true\n"))
    assert "users" not in out.data
    assert notes_about(out, "username") and notes_about(out, "groups")


@pytest.mark.parametrize(("given", "length"), [("24", 24), ("8", 12), ("500", 128)])
def test_user_password_length_becomes_password_length_within_our_range(tmp_path, given, length):
    out = convert(tmp_path, default(f"user_password_length={given}\n"))
    assert out.data["password"]["length"] == length


def nested(data, dotted):
    section, _, key = dotted.rpartition(".")
    return (data.get(section, {}) if section else data).get(key)


@pytest.mark.parametrize(
    ("option", "given", "expected"),
    [
        ("inject_user_password", "false", False),
        ("inject_user_password", "True", True),
        ("first_logon_behaviour", "no", "never"),
        ("first_logon_behaviour", "clear_text_injected_only", "given"),
        ("first_logon_behaviour", "always", "always"),
        ("netbios_host_name_compatibility", "false", False),
        ("volumes_to_extend", "1, 2", ["1", "2"]),
        ("local_scripts_path", "C:\\Scripts", "C:\\Scripts"),
        ("activate_windows", "true", True),
        ("kms_host", "kms.example.org:1688", "kms.example.org:1688"),
        ("set_avma_product_key", "true", True),
        ("set_kms_product_key", "true", True),
        ("winrm_configure_https_listener", "false", False),
        ("winrm_configure_http_listener", "true", True),
        ("winrm_enable_basic_auth", "true", True),
        ("display_idle_timeout", "600", 600),
        ("san_policy", "OfflineShared", "offline_shared"),
    ],
)
def test_an_option_converts_when_our_config_has_its_key(tmp_path, option, given, expected):
    """Converted when AgentConfig has the key; else listed (a note when the value means what
    wincloud does anyway, a warning otherwise)."""
    assert option in OPTION_MAP
    ours = OPTION_MAP[option][0]
    out = convert(tmp_path, default(f"{option}={given}\n"))
    if has_key(ours):
        assert nested(out.data, ours) == expected
        assert out.origins[ours] == option
        assert not warnings_about(out, option)
    elif given.lower() == SAME_AS_OURS.get(option, ("",))[0]:
        assert notes_about(out, option)
    else:
        assert warnings_about(out, option)
        assert nested(out.data, ours) is None


def test_a_path_inside_cloudbase_inits_folder_is_noted(tmp_path):
    folder = "C:\\Program Files\\Cloudbase Solutions\\Cloudbase-Init\\LocalScripts\\"
    out = convert(tmp_path, default(f"local_scripts_path={folder}\n"))
    if not has_key(OPTION_MAP["local_scripts_path"][0]):
        pytest.skip("the agent config has no local_scripts.path yet")
    assert nested(out.data, "local_scripts.path") == folder
    assert any("uninstalled" in m for m in notes_about(out, "local_scripts_path"))


@pytest.mark.parametrize(
    ("option", "given"), [("first_logon_behaviour", "sometimes"), ("display_idle_timeout", "-5")]
)
def test_a_value_our_config_refuses_is_a_warning(tmp_path, option, given):
    out = convert(tmp_path, default(f"{option}={given}\n"))
    assert warnings_about(out, option)
    assert nested(out.data, OPTION_MAP[option][0]) is None


# -- metadata services -> sources -----------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "source"),
    [
        ("httpservice.HttpService", "openstack_http"),
        ("configdrive.ConfigDriveService", "configdrive"),
        ("ec2service.EC2Service", "ec2"),
        ("nocloudservice.NoCloudConfigDriveService", "nocloud"),
    ],
)
def test_each_known_metadata_service_becomes_its_source(tmp_path, service, source):
    out = convert(tmp_path, default(f"metadata_services={SVC}{service}\n"))
    assert out.data["sources"] == [source]
    assert not warnings_about(out, "metadata_services")


def test_metadata_services_keep_their_order(tmp_path):
    text = f"metadata_services={SVC}ec2service.EC2Service,{SVC}configdrive.ConfigDriveService\n"
    assert convert(tmp_path, default(text)).data["sources"] == ["ec2", "configdrive"]


@pytest.mark.parametrize(
    "service",
    [s for s, (name, _) in SERVICE_MAP.items() if not name] + ["custom.MyService"],
)
def test_a_service_without_a_source_is_listed_not_dropped(tmp_path, service):
    text = f"metadata_services={SVC}httpservice.HttpService,{SVC}{service}\n"
    out = convert(tmp_path, default(text))
    assert out.data["sources"] == ["openstack_http"]
    [message] = warnings_about(out, "metadata_services")
    assert f"{SVC}{service}" in message
    assert f"{SVC}{service}" in out.to_toml("x")


def test_no_usable_service_keeps_our_default_sources_with_a_warning(tmp_path):
    out = convert(tmp_path, default(f"metadata_services={SVC}gceservice.GCEService\n"))
    assert "sources" not in out.data
    assert len(warnings_about(out, "metadata_services")) == 2


def test_unset_metadata_services_converts_cloudbase_inits_default(tmp_path):
    out = convert(tmp_path, default("username=x\n"))
    assert out.data["sources"] == [
        "openstack_http",
        "configdrive",
        "ec2",
        "cloudstack",
        "opennebula",
    ]
    assert len(warnings_about(out, "metadata_services")) == 1  # MAAS


# -- plugins --------------------------------------------------------------------------------


@pytest.mark.parametrize(("plugin", "target"), [(k, v[0]) for k, v in PLUGIN_MAP.items()])
def test_each_cloudbase_init_plugin_maps_or_is_listed(tmp_path, plugin, target):
    """Mapped when wincloud has the plugin; otherwise a warning that names the class."""
    family = "windows" if plugin.split(".")[0] in {"createuser", "ntpclient"} else "common"
    path = f"{PLG}{family}.{plugin}"
    out = convert(tmp_path, default(f"plugins={path}\n"))
    if target in PLUGINS:
        assert out.data["plugins"] == [target]
        assert not warnings_about(out, "plugins")
    else:
        assert out.data["plugins"] == []
        assert any(path in m for m in warnings_about(out, "plugins"))


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (f"{PLG}common.sethostname.SetHostNamePlugin", "hostname"),
        (f"{PLG}windows.createuser.CreateUserPlugin", "users"),
        (f"{PLG}common.setuserpassword.SetUserPasswordPlugin", "password"),
        (f"{PLG}windows.setuserpassword.SetUserPasswordPlugin", "password"),  # before 0.9.10
        (f"{PLG}common.sshpublickeys.SetUserSSHPublicKeysPlugin", "ssh_keys"),
        (f"{PLG}common.userdata.UserDataPlugin", "userdata"),
        (f"{PLG}windows.userdata.UserDataPlugin", "userdata"),
    ],
)
def test_plugins_we_have_are_converted(tmp_path, path, target):
    plugins = f"{PLG}windows.createuser.CreateUserPlugin,{path}"
    out = convert(tmp_path, default(f"plugins={plugins}\n"))
    assert out.data["plugins"] == list(dict.fromkeys(["users", target]))


def test_an_unknown_plugin_class_is_a_warning_naming_it(tmp_path):
    out = convert(tmp_path, default("plugins=mycompany.plugins.Thing\n"))
    [message] = warnings_about(out, "plugins")
    assert "mycompany.plugins.Thing" in message and "unknown" in message


def test_unset_plugins_converts_cloudbase_inits_default(tmp_path):
    out = convert(tmp_path, default("username=x\n"))
    expected = list(
        dict.fromkeys(PLUGIN_MAP[p][0] for p in CBI_PLUGINS if PLUGIN_MAP[p][0] in PLUGINS)
    )
    assert out.data["plugins"] == expected
    unmapped = [p for p in CBI_PLUGINS if PLUGIN_MAP[p][0] not in PLUGINS]
    assert len(warnings_about(out, "plugins")) == len(unmapped)


def test_password_before_users_is_a_warning(tmp_path):
    text = (
        f"plugins={PLG}common.setuserpassword.SetUserPasswordPlugin,"
        f"{PLG}windows.createuser.CreateUserPlugin\n"
    )
    out = convert(tmp_path, default(text))
    assert out.data["plugins"] == ["password", "users"]
    assert any("before users" in m for m in warnings_about(out, "plugins"))


def test_process_userdata_false_leaves_the_userdata_plugin_out(tmp_path):
    text = f"plugins={PLG}common.userdata.UserDataPlugin\nprocess_userdata=false\n"
    assert convert(tmp_path, default(text)).data["plugins"] == []


# -- behaviour, logging, URLs ------------------------------------------------------------------


@pytest.mark.parametrize(("given", "value"), [("false", False), ("True", True), ("0", False)])
def test_allow_reboot(tmp_path, given, value):
    assert convert(tmp_path, default(f"allow_reboot={given}\n")).data["allow_reboot"] is value


def test_a_bad_boolean_is_a_warning_and_not_converted(tmp_path):
    out = convert(tmp_path, default("allow_reboot=maybe\n"))
    assert "allow_reboot" not in out.data
    assert warnings_about(out, "allow_reboot")


def test_retry_count_and_interval_become_attempts_and_a_fixed_pause(tmp_path):
    out = convert(tmp_path, default("retry_count=5\nretry_count_interval=4\n"))
    assert out.data["retry"] == {"attempts": 6, "backoff": 4.0, "max_delay": 4.0}


def test_retry_values_outside_our_range_are_clamped(tmp_path):
    out = convert(tmp_path, default("retry_count=100\nretry_count_interval=1000\n"))
    assert out.data["retry"] == {"attempts": 20, "backoff": 300.0, "max_delay": 300.0}


@pytest.mark.parametrize(
    ("text", "level"),
    [("debug=true\n", "debug"), ("verbose=false\n", "warning"), ("debug=false\n", "info")],
)
def test_debug_and_verbose_become_log_level(tmp_path, text, level):
    assert convert(tmp_path, default(text)).data["log"]["level"] == level


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("log_dir=D:\\logs\nlog_file=agent.log\n", "D:\\logs\\agent.log"),
        ("logdir=D:\\logs\\\nlogfile=agent.log\n", "D:\\logs\\agent.log"),
        ("log_file=E:\\x\\agent.log\nlog_dir=D:\\logs\n", "E:\\x\\agent.log"),
        ("log_dir=/var/log\nlog_file=agent.log\n", "/var/log/agent.log"),
    ],
)
def test_log_dir_and_log_file_become_log_file(tmp_path, text, path):
    assert convert(tmp_path, default(text)).data["log"]["file"] == path


def test_a_log_file_in_cloudbase_inits_folder_keeps_our_default(tmp_path):
    text = "logdir=C:\\Program Files\\Cloudbase Solutions\\Cloudbase-Init\\log\\\nlogfile=c.log\n"
    out = convert(tmp_path, default(text))
    assert "log" not in out.data
    assert notes_about(out, "logdir + logfile")


def test_serial_port_settings_become_log_serial_port(tmp_path):
    out = convert(tmp_path, default("logging_serial_port_settings=COM1,115200,N,8\n"))
    assert out.data["log"]["serial_port"] == "COM1"
    assert "115200" in notes_about(out, "logging_serial_port_settings")[0]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[openstack]\nmetadata_base_url=http://10.0.0.1:8775/\n", "openstack_http"),
        ("[DEFAULT]\nmetadata_base_url=http://10.0.0.1:8775/\n", "openstack_http"),
        ("[ec2]\nmetadata_base_url=http://10.0.0.1:8775/\n", "ec2"),
        ("[DEFAULT]\nec2_metadata_base_url=http://10.0.0.1:8775/\n", "ec2"),
    ],
)
def test_metadata_base_url_becomes_the_source_url(tmp_path, text, key):
    assert convert(tmp_path, text).data[key]["url"] == "http://10.0.0.1:8775"


def test_a_metadata_base_url_that_is_not_http_is_a_warning(tmp_path):
    out = convert(tmp_path, "[openstack]\nmetadata_base_url=ftp://x/\n")
    assert "openstack_http" not in out.data
    assert warnings_about(out, "openstack.metadata_base_url")


def test_add_metadata_private_ip_route_true_is_a_warning(tmp_path):
    out = convert(tmp_path, "[openstack]\nadd_metadata_private_ip_route=true\n")
    assert warnings_about(out, "openstack.add_metadata_private_ip_route")


@pytest.mark.parametrize("option", sorted(NOT_NEEDED))
def test_options_we_do_not_need_are_notes(tmp_path, option):
    section, _, name = option.rpartition(".")
    out = convert(tmp_path, f"[{section or 'DEFAULT'}]\n{name}=true\n")
    assert notes_about(out, option)
    assert not warnings_about(out, option)


@pytest.mark.parametrize(
    "text, option",
    [
        ("[DEFAULT]\nrdp_set_keepalive=true\n", "rdp_set_keepalive"),
        ("[DEFAULT]\nheat_config_dir=C:\\cfn\n", "heat_config_dir"),
        ("[maas]\nmetadata_base_url=http://maas/\n", "maas.metadata_base_url"),
    ],
)
def test_every_other_option_is_a_warning_naming_it_and_its_line(tmp_path, text, option):
    out = convert(tmp_path, text)
    [warning] = [n for n in out.warnings if n.option == option]
    assert warning.line == 2
    assert warning.render().startswith(f"warning: cloudbase-init.conf:2: {option}: ")


# -- the INI dialect ------------------------------------------------------------------------


def test_comments_quotes_colons_and_a_bom_are_read_like_oslo_config(tmp_path):
    text = '\ufeff[DEFAULT]\n; comment\n# comment\nusername: "Admin"\nlog_file = D:\\a.log\n'
    out = convert(tmp_path, text)
    assert out.data["users"]["username"] == "Admin"
    assert out.data["log"]["file"] == "D:\\a.log"


def test_an_option_set_twice_keeps_the_last_value(tmp_path):
    assert convert(tmp_path, default("username=a\nusername=b\n")).data["users"]["username"] == "b"


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ('{"username": "Admin"}\n', 1),  # JSON
        ('username = "Admin"\n[users]\n', 1),  # TOML with a top-level key
        ("[DEFAULT]\nusername=Admin\nplugins=a.B,\nc.D\n", 4),  # unindented continuation
        ("[DEFAULT\nusername=x\n", 1),
        ("", 1),
        ("# only a comment\n", 1),
    ],
)
def test_a_file_that_is_not_ini_is_a_config_error_naming_file_and_line(tmp_path, content, line):
    path = tmp_path / "thing.conf"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        import_cloudbase_conf(path)
    assert info.value.subject == f"{path}:{line}"


@pytest.mark.parametrize(
    ("content", "line"),
    [(b"[DEFAULT]\nusername=\xe9\n", 2), (b"[DEFAULT]\n\x89PNG\x00\x00", 2)],
)
def test_binary_or_non_utf8_content_is_refused_with_its_line(tmp_path, content, line):
    path = tmp_path / "thing.conf"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        import_cloudbase_conf(path)
    assert info.value.subject == f"{path}:{line}"


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        import_cloudbase_conf(tmp_path / "nope.conf")


# -- the whole file, round trips ------------------------------------------------------------


def test_the_installer_sample_converts_to_a_config_that_loads(tmp_path):
    out = convert(tmp_path, SAMPLE)
    text = out.to_toml("cloudbase-init.conf")
    assert tomllib.loads(text) == out.data
    target = tmp_path / "agent.toml"
    write_atomic(target, text)
    config = load_config(target)
    assert config == parse_config(out.data)
    assert config.sources == ["configdrive", "openstack_http", "ec2"]
    assert config.plugins == ["hostname", "users", "password", "ssh_keys", "userdata"]
    assert config.users.username == "Admin"
    assert config.users.groups == []  # the administrators group, whatever the language
    assert config.allow_reboot is False
    assert (config.retry.attempts, config.retry.backoff) == (6, 4.0)
    assert config.log.level == "debug"
    assert config.log.serial_port == "COM1"
    assert config.openstack_http.url == "http://169.254.169.254"
    assert config.log.file == AgentConfig().log.file  # inside cloudbase-init's folder
    listed = {n.option for n in out.warnings}
    expected = {"mtu_use_dhcp_config", "ntp_use_dhcp_config"}
    if not has_key("local_scripts.path"):
        expected.add("local_scripts_path")
    assert listed == expected


def test_every_option_of_the_sample_is_accounted_for(tmp_path):
    out = convert(tmp_path, SAMPLE)
    mentioned = {n.option for n in out.notes} | set(out.origins.values())
    for line in SAMPLE.splitlines():
        if "=" in line and not line.startswith((" ", "#")):
            option = line.split("=", 1)[0]
            assert any(option in m for m in mentioned), option


@pytest.mark.parametrize("option", ["process_userdata", "add_metadata_private_ip_route"])
def test_a_bad_boolean_gives_one_warning_and_no_note(tmp_path, option):
    out = convert(tmp_path, default(f"{option}=perhaps\n"))
    assert len(warnings_about(out, option)) == 1
    assert not notes_about(out, option)


def test_serial_port_settings_without_a_port_are_a_note(tmp_path):
    out = convert(tmp_path, default("logging_serial_port_settings= , \n"))
    assert "log" not in out.data
    assert notes_about(out, "logging_serial_port_settings")


def test_the_san_policy_plugin_without_a_policy_keeps_the_disks_as_they_are(tmp_path):
    out = convert(tmp_path, default(f"plugins={PLG}windows.sanpolicy.SANPolicyPlugin\n"))
    if "san_policy" not in PLUGINS or not has_key("san_policy.policy"):
        pytest.skip("this agent has no san_policy plugin or key")
    assert out.data["san_policy"] == {"policy": "keep"}
