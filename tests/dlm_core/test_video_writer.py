"""dlm_core.demo.video_writer: the deterministic mp4 writer, at any even frame size."""

import av
import numpy as np
import pytest

from dlm_core.demo.video_writer import rgb_to_yuv420p, write_mp4


def read_back(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format='rgb24') for f in container.decode(video=0)])


def test_planes_are_y_then_quarter_u_and_v_for_any_even_height():
    image = np.zeros((6, 4, 3), np.uint8)  # 6 rows: a quarter plane is 1.5 rows of 4
    image[..., 2] = 255  # pure blue: BT.601 limited range Y 41, U 240, V 110
    planes = rgb_to_yuv420p(image)
    assert planes.shape == (9, 4)
    flat = planes.ravel()
    assert (flat[:24] == 41).all() and (flat[24:30] == 240).all() and (flat[30:] == 110).all()


@pytest.mark.parametrize('size', [(32, 48), (34, 46)])
def test_frames_come_back_close_and_the_bytes_do_not_change(tmp_path, size):
    height, width = size
    frames = np.full((5, height, width, 3), 90, np.uint8)
    for t in range(5):
        frames[t, 4 : 4 + 12, 2 * t : 2 * t + 16] = (220, 180, 40)
    write_mp4(str(tmp_path / 'a.mp4'), frames, 10)
    write_mp4(str(tmp_path / 'b.mp4'), frames, 10)
    assert (tmp_path / 'a.mp4').read_bytes() == (tmp_path / 'b.mp4').read_bytes()
    back = read_back(tmp_path / 'a.mp4')
    assert back.shape == frames.shape
    assert np.abs(back.astype(int) - frames).mean() < 4
