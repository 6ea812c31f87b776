# wincloud:new_vhd  New-VHD -Dynamic|-Fixed | -Differencing -ParentPath
param([string]$Path, [uint64]$SizeBytes = 0, [bool]$Dynamic = $true, [string]$ParentPath = '')
# @common
if (Test-Path -LiteralPath $Path) {
    Stop-Wincloud 'WincloudExists' 'ResourceExists' "the file exists: $Path" $Path
}
Assert-WincloudParent $Path
if ($ParentPath) {
    Assert-WincloudFile $ParentPath
    $vhd = New-VHD -Path $Path -ParentPath $ParentPath -Differencing
} elseif ($Dynamic) {
    $vhd = New-VHD -Path $Path -SizeBytes $SizeBytes -Dynamic
} else {
    $vhd = New-VHD -Path $Path -SizeBytes $SizeBytes -Fixed
}
Out-WincloudVhd $vhd
