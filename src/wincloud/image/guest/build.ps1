# wincloud image build: the in-guest part (run by FirstLogonCommands from the answer CD).
# Reports progress on COM1, one ASCII line each: "WINCLOUD-STAGE <stage>" for drivers, agent
# and sysprep, "WINCLOUD-ERROR <text>" on any failure. The host's monitor follows these lines;
# success is the guest powering off after the sysprep marker.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$cd = Split-Path -Parent $PSScriptRoot
$log = Join-Path $env:SystemRoot 'Temp\wincloud-build.log'

function Send-Serial([string]$line) {
    $clean = ($line -replace '[^\x20-\x7E]', '?')
    if ($clean.Length -gt 400) { $clean = $clean.Substring(0, 400) }
    Add-Content -Path $log -Value $clean -Encoding Ascii
    $port = New-Object System.IO.Ports.SerialPort 'COM1', 115200, 'None', 8, 'One'
    try {
        $port.Open()
        $port.Write("$clean`r`n")
    } finally {
        $port.Close()
    }
}

trap {
    $text = $_.Exception.Message -replace '\s+', ' '
    Send-Serial "WINCLOUD-ERROR $text"
    exit 1
}

function Invoke-Checked([string]$file, [string[]]$arguments, [int[]]$ok, [string]$what) {
    $proc = Start-Process -FilePath $file -ArgumentList $arguments -Wait -PassThru -NoNewWindow
    if ($ok -notcontains $proc.ExitCode) {
        throw "$what failed with exit code $($proc.ExitCode)"
    }
}

Send-Serial 'WINCLOUD-STAGE drivers'
# pnputil: 0 done, 259 no matching device, 3010 reboot needed (the sysprep shutdown reboots).
$drivers = Join-Path $cd 'wincloud\drivers'
if (Test-Path $drivers) {
    Invoke-Checked "$env:SystemRoot\System32\pnputil.exe" `
        @('/add-driver', "`"$drivers\*.inf`"", '/subdirs', '/install') `
        @(0, 259, 3010) 'pnputil /add-driver'
}

Send-Serial 'WINCLOUD-STAGE agent'
$msi = Join-Path $cd 'wincloud\agent.msi'
$msiLog = Join-Path $env:SystemRoot 'Temp\wincloud-agent-msi.log'
Invoke-Checked "$env:SystemRoot\System32\msiexec.exe" `
    @('/i', "`"$msi`"", '/qn', '/norestart', '/l*v', "`"$msiLog`"") `
    @(0, 3010) 'agent MSI install'

Send-Serial 'WINCLOUD-STAGE sysprep'
# The account the build logged on with (the answer file's wincloud-build) must not reach the
# clones: the agent creates their administrator at SetupComplete.
if (Get-LocalUser -Name 'wincloud-build' -ErrorAction SilentlyContinue) {
    Remove-LocalUser -Name 'wincloud-build'
}
$answer = Join-Path $cd 'wincloud\generalize.xml'
$sysprep = "$env:SystemRoot\System32\Sysprep\sysprep.exe"
$proc = Start-Process -FilePath $sysprep -Wait -PassThru `
    -ArgumentList @('/generalize', '/oobe', '/shutdown', '/quiet', "/unattend:`"$answer`"")
if ($proc.ExitCode -ne 0) {
    $errors = Join-Path $env:SystemRoot 'System32\Sysprep\Panther\setuperr.log'
    $tail = ''
    if (Test-Path $errors) { $tail = (Get-Content $errors -Tail 3) -join ' | ' }
    throw "sysprep failed with exit code $($proc.ExitCode): $tail"
}
