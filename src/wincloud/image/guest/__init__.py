"""Files that run inside the Windows guest during ``wincloud image build`` (package data:
``build.ps1`` goes on the answer CD as ``/wincloud/build.ps1``)."""
