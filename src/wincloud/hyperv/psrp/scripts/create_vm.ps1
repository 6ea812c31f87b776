# wincloud:create_vm  New-VM; Set-VM; Set-VMFirmware
param(
    [string]$Name,
    [int]$Generation,
    [long]$ProcessorCount,
    [long]$MemoryBytes,
    [bool]$SecureBoot,
    [string]$Notes = '',
    [string]$Path = ''
)
# @common
if (@(Get-VM | Where-Object { $_.Name -eq $Name }).Count -gt 0) {
    Stop-Wincloud 'WincloudExists' 'ResourceExists' "a virtual machine named '$Name' exists" $Name
}
$splat = @{ Name = $Name; Generation = $Generation; MemoryStartupBytes = $MemoryBytes; NoVHD = $true }
if ($Path) { $splat.Path = $Path }
$vm = New-VM @splat
try {
    Set-VM -VM $vm -ProcessorCount $ProcessorCount -StaticMemory -Notes $Notes `
        -AutomaticStartAction Nothing -AutomaticStopAction TurnOff -CheckpointType Standard
    if ($Generation -eq 2) {
        $onOff = if ($SecureBoot) { 'On' } else { 'Off' }
        Set-VMFirmware -VM $vm -EnableSecureBoot $onOff
    }
} catch {
    Remove-VM -VM $vm -Force
    throw
}
Out-WincloudVM (Get-VM -Id $vm.Id)
