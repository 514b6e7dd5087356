"""Widgets as the frontend sees them: read from a delta's element, and the WidgetState proto a value sends.

Values are what a student picks on screen: the displayed option string for a select box, radio, select slider or
multiselect (Streamlit's serdes carry formatted options), a number for a number input or slider, a bool for a
checkbox. Each value is checked against the widget's options or bounds first, as the frontend's controls would.
"""
from __future__ import annotations

from dataclasses import dataclass

from streamlit.proto.Element_pb2 import Element
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

KINDS = ("checkbox", "radio", "selectbox", "multiselect", "number_input", "slider", "button")


@dataclass
class Widget:
    """One widget of the current page: its element proto, the fragment that draws it ("" for none), and where."""
    element: Element
    fragment_id: str
    delta_path: tuple[int, ...]

    @property
    def kind(self) -> str:
        """"select_slider" for a select slider (a Slider proto with options); else the element's type."""
        kind = self.element.WhichOneof("type")
        if kind == "slider" and self.proto.type == Slider.SELECT_SLIDER:
            return "select_slider"
        return kind

    @property
    def proto(self):
        return getattr(self.element, self.element.WhichOneof("type"))

    @property
    def id(self) -> str:
        return self.proto.id

    @property
    def label(self) -> str:
        return self.proto.label

    @property
    def options(self) -> list[str]:
        return list(self.proto.options)

    def initial_state(self) -> WidgetState | None:
        """The state the frontend reports for this widget before anyone touches it: the value the server set, else
        the default (None for a widget without one, e.g. a number input with value=None, or a button)."""
        p, kind = self.proto, self.kind
        if kind == "checkbox":
            return self.state(p.value if p.set_value else p.default)
        if kind in ("radio", "selectbox"):
            if p.set_value and p.HasField("raw_value"):
                return self.state(p.raw_value)
            return self.state(p.options[p.default]) if p.HasField("default") and p.options else None
        if kind == "multiselect":
            return self.state(list(p.raw_values) if p.set_value else [p.options[i] for i in p.default])
        if kind == "number_input":
            if p.set_value and p.HasField("value"):
                return self.state(p.value)
            return self.state(p.default) if p.HasField("default") else None
        if kind == "slider":
            return self.state(list(p.value if p.set_value else p.default))
        if kind == "select_slider":
            return self.state(list(p.raw_value) if p.set_value else [p.options[int(i)] for i in p.default])
        return None

    def state(self, value) -> WidgetState:
        """The WidgetState proto the frontend sends when this widget shows `value`; ValueError for a value its
        control could not show."""
        p, kind = self.proto, self.kind
        state = WidgetState(id=p.id)
        if kind == "checkbox":
            state.bool_value = bool(value)
        elif kind in ("radio", "selectbox"):
            self._check_options([value])
            state.string_value = value
        elif kind in ("multiselect", "select_slider"):
            values = [value] if isinstance(value, str) else list(value)
            self._check_options(values)
            state.string_array_value.data[:] = values
        elif kind == "number_input":
            if (p.has_min and value < p.min) or (p.has_max and value > p.max):
                raise ValueError(f"{self.label!r} takes values in [{p.min:g}, {p.max:g}]; got {value}")
            if p.data_type == NumberInput.INT:
                state.int_value = int(value)
            else:
                state.double_value = float(value)
        elif kind == "slider":
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            if any(not p.min <= v <= p.max for v in values):
                raise ValueError(f"{self.label!r} takes values in [{p.min:g}, {p.max:g}]; got {value}")
            state.double_array_value.data[:] = [float(v) for v in values]
        elif kind == "button":
            state.trigger_value = bool(value)
        else:
            raise ValueError(f"{self.label!r} is a {kind}, which the harness cannot set (it sets {', '.join(KINDS)})")
        return state

    def _check_options(self, values: list[str]) -> None:
        unknown = [v for v in values if v not in self.proto.options]
        if unknown:
            raise ValueError(f"{self.label!r} has no option {unknown[0]!r}; its options are {self.options}")


def is_widget(element: Element) -> bool:
    """Is this element a widget the harness can find by label (one whose proto has an id and a label)?"""
    kind = element.WhichOneof("type")
    return kind in KINDS


def state_value(state: WidgetState):
    """The value a WidgetState carries, as a plain Python value (a list for the array kinds)."""
    kind = state.WhichOneof("value")
    value = getattr(state, kind)
    return list(value.data) if kind.endswith("_array_value") else value
