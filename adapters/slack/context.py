"""What the Slack listeners share: the core's service, intake and data links, Slack's side of intake (its
consent question too), and the queue of work that follows each acknowledgement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adapters.slack.intake import SlackIntake
from adapters.slack.people import SlackPeople
from bot.campaigns.desk import CampaignDesk
from bot.export.publish import Exports
from bot.followups import FollowUps
from bot.intake import JobIntake
from bot.my_data.links import MyDataLinks
from bot.service import HeadshotService
from bot.work_queue import WorkQueue
from bot.workspace_admin import WorkspaceAdmin

if TYPE_CHECKING:
    from adapters.slack.home import HomeDebounce
    from adapters.slack.picks import SlackPicks


@dataclass
class ListenerContext:
    """What every listener works with; work after the acknowledgement goes to `tasks`, as a function of
    the context it runs against (this one, or its counterpart on the worker loop)."""

    service: HeadshotService
    intake: JobIntake
    slack: SlackIntake
    people: SlackPeople
    admin: WorkspaceAdmin
    campaigns: CampaignDesk
    my_data: MyDataLinks
    follow_ups: FollowUps
    tasks: WorkQueue[ListenerContext] = field(default_factory=WorkQueue)
    picks: SlackPicks | None = None  # favourites and profile photos, when the core offers them
    exports: Exports | None = None  # the favourites export, once its listener is registered
    home: HomeDebounce | None = None  # the Home tab's publishing, once its listener is registered

    def __post_init__(self) -> None:
        self.tasks.bind(self)
