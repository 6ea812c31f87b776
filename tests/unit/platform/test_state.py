def test_state_is_absent_until_written(rig):
    assert rig.platform.state.read() is None


def test_state_reads_back_the_last_write(rig):
    rig.platform.state.write(b'{"version": 1}')
    rig.platform.state.write(b'{"version": 2}')
    assert rig.platform.state.read() == b'{"version": 2}'


def test_state_names_where_it_lives(rig):
    assert rig.platform.state.where
