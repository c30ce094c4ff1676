"""`/ws/pipelines/`: live run events for staff dashboards (L7)."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from pipelines.services import EVENTS_GROUP

CLOSE_POLICY_VIOLATION = 1008


class PipelineEventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_staff:
            # Accept first: a close before the handshake cannot carry a code for the client.
            await self.accept()
            await self.close(code=CLOSE_POLICY_VIOLATION)
            return
        await self.channel_layer.group_add(EVENTS_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(EVENTS_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The stream is one-way; clients only listen."""

    async def pipeline_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "run", "data": message["event"]})
