"""A scrolling list of one-line items rendered through the Line API.

Only the visible lines are rendered, each once per (item, width): the strip cache is keyed by
the item's stable key, so appending, pruning or filtering never re-renders what is on screen
already. Subclasses say how many items there are, each item's key and its text.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ama_tui.tui.widgets.line_widget import LineWidget
from ama_tui.tui.widgets.styled_line import StyledLine, clip_line, line_strip


class LineList(LineWidget, ScrollView, can_focus=True):
    CACHE_SIZE = 512
    FOLLOW_END = False
    """Keep the view on the last line as lines are added, unless the user scrolled away."""
    SCROLLED_HINT = "Home ↑ newest"
    """The border subtitle while the view is away from where new lines arrive (`-scrolled`)."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._strip_cache: LRUCache[tuple[Hashable, int], Strip] = LRUCache(self.CACHE_SIZE)
        self._following = self.FOLLOW_END
        self._frame: tuple[int, int] | None = None
        """(width, scroll y) while `render_lines` runs: read once per repaint, not once per line."""

    # -- what subclasses provide ------------------------------------------------------------

    def item_count(self) -> int:
        raise NotImplementedError

    def item_key(self, index: int) -> Hashable:
        raise NotImplementedError

    def item_text(self, index: int) -> StyledLine:
        raise NotImplementedError

    # -- Line API ----------------------------------------------------------------------------

    def items_changed(self) -> None:
        """Call after the items changed: resizes the scroll area, follows the end, repaints the
        content (the border stays as it is)."""
        size = self.size
        self._set_virtual_size(Size(size.width, self.item_count()))
        self._follow()
        if self.has_class("-scrolled") and self._at_home(self.scroll_y):
            # The list shrank under a view scrolled back (a filter): it is home without a scroll.
            # (Only ever cleared here: a follow's scroll may not have happened yet.)
            self._sync_scrolled(self.scroll_y)
        self.refresh(size.region)

    def _set_virtual_size(self, new: Size) -> None:
        """`virtual_size = new`, without the layout pass (a repaint of the whole screen) that the
        reactive asks for when the list only grew or shrank under a scrollbar that stays as it is:
        then only the scrollbar's thumb and the scroll limits change."""
        old = self.virtual_size
        if new == old:
            return
        height = self.container_size.height
        if (
            height
            and new.width == old.width
            and self.styles.overflow_x == "hidden"
            and (old.height > height) == (new.height > height)
        ):
            self.set_reactive(LineList.virtual_size, new)
            self._scroll_update(new)
        else:
            self.virtual_size = new
            # The scroll limits are known after the layout pass: follow the end again then.
            self.call_after_refresh(self._follow)

    def _follow(self) -> None:
        if self._following and self.size.height:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._sync_scrolled(new_value)

    def _at_home(self, scroll_y: float) -> bool:
        """Is the view where new lines arrive (the end when following, else the top)?"""
        return round(scroll_y) >= self.max_scroll_y if self.FOLLOW_END else round(scroll_y) <= 0

    def _sync_scrolled(self, scroll_y: float) -> None:
        """Following (or at the newest) or scrolled away: the `-scrolled` class and the hint."""
        at_home = self._at_home(scroll_y)
        if self.FOLLOW_END:
            self._following = at_home
        if self.has_class("-scrolled") == at_home:
            # A stylesheet may show the scrollbar only while scrolled away (one layout pass).
            self.set_class(not at_home, "-scrolled")
            self.border_subtitle = None if at_home else self.SCROLLED_HINT

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = (self.size.width, self.scroll_offset.y)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        width, scroll_y = self._frame or (self.size.width, self.scroll_offset.y)
        index = scroll_y + y
        base = self.base_style
        if not 0 <= index < self.item_count():
            return Strip.blank(width, base)
        key = (self.item_key(index), width)
        strip = self._strip_cache.get(key)
        if strip is None:
            # cut between words with an ellipsis, never inside a number
            strip = line_strip(clip_line(self.item_text(index), width), width, base, self.app.console)
            self._strip_cache[key] = strip
        return strip

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.item_count())
        self._follow()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip_cache.clear()
