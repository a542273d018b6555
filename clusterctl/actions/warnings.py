"""What ``warn`` does once its options are parsed: select due warnings, deliver, remember.

The selection is pure (``clusterctl.warn``); this module adds the store's ledger, the e-mail
digest and the output, in the order that keeps the once-only promise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from clusterctl import query, render, warn
from clusterctl.actions.context import AppContext
from clusterctl.actions.unreadable import report_unreadable
from clusterctl.errors import ClusterctlError, DeliveryError, StoreError
from clusterctl.query import ALL_STATUSES, CallFilter
from clusterctl.store import Store, Unreadable
from clusterctl.store.ledger import Ledger
from clusterctl.timeparse import parse_thresholds
from clusterctl.warn import DueWarning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from clusterctl.mail import SmtpSettings
    from clusterctl.notify import Channel


def warn_calls(
    app_ctx: AppContext,
    *,
    thresholds: str | None = None,
    email: Sequence[str] | None = None,
    no_email: bool = False,
    notify: Sequence[str] | None = None,
    no_notify: bool = False,
    tag: Sequence[str] | None = None,
    programme: str | None = None,
    search: str | None = None,
    print_: bool = False,
    dry_run: bool = False,
    fmt: str = "text",
    at: str | None = None,
    tz: str | None = None,
) -> None:
    """Print (and e-mail, and post to chat) the warnings due and not delivered before, with
    what changed since the last digest.

    The output (or the e-mail digest) is one channel; each chat channel is another, with its
    own record in the ledger: a warning is delivered once to each, and a channel that fails is
    tried again next run without sending again to those that succeeded.
    """
    now = app_ctx.now(at, tz)
    limits = thresholds_of(app_ctx, thresholds)
    zone = app_ctx.display_zone(tz)
    followed = _followed(app_ctx, tag, programme, search)
    recipients = [] if no_email else list(email or app_ctx.config.warn_email)
    settings = None
    if recipients:
        # email.utils: ~15 ms, only when there are recipients
        from clusterctl.address import check_address

        recipients = [check_address(r) for r in recipients]
    if recipients and not dry_run:
        from clusterctl.mail import smtp_settings  # smtplib, ssl, email: ~20 ms, only to send

        settings = smtp_settings(app_ctx.config, os.environ)
    chats = _channels([] if no_notify else list(notify or app_ctx.config.warn_notify))
    store = app_ctx.store()
    if not store.exists():
        # Silence means "nothing due" to cron: a mistyped store path must not look like that.
        raise StoreError(
            f"{store.root}: no clusterctl store there (check --store, $CLUSTERCTL_STORE "
            "or the config file)"
        )
    now_ts = now.timestamp()
    # A file that cannot be read must not silence the warnings of every other call: they go
    # out, then each such file is reported and the run exits 9 (report_unreadable).
    unreadable: list[Unreadable] = []
    live = store.summaries(open_at=now_ts, unreadable=unreadable)
    # Not sorted (query.select): the warnings are, and sorting 100,000 summaries took 0.1 s.
    kept = [s for s in live if followed.matches(s, now_ts)]
    candidates = warn.candidate_ids(kept, limits, now)
    # A digest remembers every live call, and reports changes among the followed ones: a
    # call the filters start to follow later is not news.
    current = warn.signatures(live)
    followed_ids = {s.id for s in kept}
    if dry_run:
        ledger = store.read_ledger()
        if followed != ALL_LIVE:
            first = query.select(kept, followed, now_ts)[:20]
            shown = ", ".join(s.id for s in first) + (", ..." if len(kept) > 20 else "")
            render.echo(
                f"dry run: the filters keep {len(kept)} of {len(live)} calls"
                + (f": {shown}" if kept else ""),
                err=True,
            )
        # Each call's facts are remembered while its file is unchanged: at 100,000 calls,
        # parsing the ~11,000 due within 30 days took 1.5 s of a 1.9 s run.
        facts = store.derive(candidates, warn.FACTS_KIND, warn.warn_facts, unreadable=unreadable)
        due = warn.due_from_facts(facts, limits, now, ledger.sent)
        changes = _changes(store, ledger, "", current, followed_ids)
        _print_warnings(due, changes, now, zone, fmt, app_ctx)
        if (due or changes) and recipients:
            render.echo(f"dry run: would e-mail {_count(due)} to {', '.join(recipients)}", err=True)
        for chat in chats:
            if chat_due := warn.due_from_facts(facts, limits, now, _sent_to(chat, ledger.sent)):
                render.echo(f"dry run: would notify {chat.shown}: {_count(chat_due)}", err=True)
        report_unreadable(unreadable)
        return
    with store.warning_ledger() as ledger:
        facts = store.derive(candidates, warn.FACTS_KIND, warn.warn_facts, unreadable=unreadable)
        unread = [str(u) for u in unreadable]  # named in every digest, for whoever gets it
        failures: list[ClusterctlError] = []
        due = warn.due_from_facts(facts, limits, now, ledger.sent)
        changes = _changes(store, ledger, "", current, followed_ids)
        if not due and not changes:
            pass  # silent, and nothing to remember: the first digest sets what later ones compare
        elif settings is None:
            # The output is the delivery (cron mails it): recorded only once it is written.
            _print_warnings(due, changes, now, zone, fmt, app_ctx)
            sys.stdout.flush()
            ledger.remember_digest("", now, current)
            ledger.commit([w.key for w in due], now)
        else:
            try:
                _email(
                    print_,
                    due,
                    changes,
                    unread,
                    current,
                    now,
                    recipients,
                    settings,
                    ledger,
                    zone,
                    fmt,
                    app_ctx,
                )
            except DeliveryError as exc:
                failures.append(exc)
        for chat in chats:
            chat_due = warn.due_from_facts(facts, limits, now, _sent_to(chat, ledger.sent))
            chat_changes = _changes(store, ledger, chat.key, current, followed_ids)
            if not chat_due and not chat_changes:
                continue
            try:
                _post(chat, chat_due, chat_changes, unread, current, now, ledger)
            except DeliveryError as exc:
                failures.append(exc)
        if failures:
            raise (
                failures[0]
                if len(failures) == 1
                else DeliveryError("; ".join(str(f) for f in failures))
            )
    report_unreadable(unreadable)


#: The filter of a warn run without --tag, --programme or --search: every live call.
ALL_LIVE = CallFilter(statuses=ALL_STATUSES)


def _followed(
    app_ctx: AppContext, tag: Sequence[str] | None, programme: str | None, search: str | None
) -> CallFilter:
    """The calls warned about: --tag/--programme/--search, else the config file's [warn] ones."""
    config = app_ctx.config
    given = bool(tag) or programme is not None or search is not None
    return CallFilter(
        statuses=ALL_STATUSES,
        tags=tuple(tag or ()) if given else config.warn_tags,
        programme=programme if given else config.warn_programme,
        search=search if given else config.warn_search,
    )


def _changes(
    store: Store, ledger: Ledger, channel: str, current: dict[str, str], followed: set[str]
) -> list[str]:
    """What changed among the followed calls since ``channel``'s last digest (none before the
    first one)."""
    last = ledger.last_digest(channel)
    if last is None:
        return []
    since, known = last
    new, moved = warn.changed_since({i: current[i] for i in followed}, known)
    if not new and not moved:
        return []
    gone: list[Unreadable] = []  # read a moment ago: a file that vanished since is no news
    return warn.describe_changes(
        store.get_many(new, unreadable=gone), store.get_many(moved, unreadable=gone), since
    )


def _email(
    print_: bool,
    due: Sequence[DueWarning],
    changes: Sequence[str],
    unread: Sequence[str],
    current: dict[str, str],
    now: datetime,
    recipients: Sequence[str],
    settings: SmtpSettings,
    ledger: Ledger,
    zone: str | None,
    fmt: str,
    app_ctx: AppContext,
) -> None:
    """Send the digest, record it the moment the server accepts it, then print it if asked."""
    from clusterctl.mail import build_message, send_message  # see smtp_settings

    message = build_message(
        sender=settings.sender,
        recipients=recipients,
        subject=warn.digest_subject(due, now, changes),
        body=warn.digest_body(due, now, changes, unread),
        now=now,
    )
    unrecorded: list[StoreError] = []

    def accepted() -> None:
        # Recorded the moment the server accepts, before QUIT and before any output, so no
        # later failure can make the next run send the same warnings again.
        try:
            ledger.remember_digest("", now, current)
            ledger.commit([w.key for w in due], now)
        except StoreError as exc:  # said after the output: the digest did go out
            unrecorded.append(exc)

    send_message(settings, message, recipients, on_accepted=accepted)
    try:  # a failure to print never undoes the delivery, and never hides a lost record
        if print_:
            _print_warnings(due, changes, now, zone, fmt, app_ctx)
            sys.stdout.flush()
    finally:
        render.echo(f"e-mailed {_count(due)} to {', '.join(recipients)}", err=True)
        if unrecorded:
            raise unrecorded[0]


def _channels(urls: Sequence[str]) -> list[Channel]:
    if not urls:
        return []
    from clusterctl.notify import channels  # see clusterctl.notify: Apprise, only to notify

    return channels(urls)


def _sent_to(chat: Channel, sent: Mapping[str, str]) -> dict[str, str]:
    """The ledger's entries for one chat channel, keyed like the output's own."""
    prefix = chat.key + "|"
    return {key[len(prefix) :]: when for key, when in sent.items() if key.startswith(prefix)}


def _post(
    chat: Channel,
    due: Sequence[DueWarning],
    changes: Sequence[str],
    unread: Sequence[str],
    current: dict[str, str],
    now: datetime,
    ledger: Ledger,
) -> None:
    """Post the digest to one chat channel and record it there at once."""
    from clusterctl.notify import send  # see _channels

    title = warn.digest_subject(due, now, changes)
    send(chat, title, warn.digest_markdown(due, now, changes, unread))
    ledger.remember_digest(chat.key, now, current)
    ledger.commit([f"{chat.key}|{w.key}" for w in due], now)
    render.echo(f"notified {chat.shown}: {_count(due)}", err=True)


def thresholds_of(app_ctx: AppContext, option: str | None) -> list[timedelta]:
    """The warning thresholds from --thresholds, else the config file, else the defaults."""
    # An explicit but empty --thresholds (e.g. from an unset shell variable) is an error,
    # not a silent fallback to the defaults.
    text = option if option is not None else app_ctx.config.warn_thresholds
    return parse_thresholds(text) if text is not None else list(warn.DEFAULT_THRESHOLDS)


def _count(due: Sequence[DueWarning]) -> str:
    return f"{len(due)} warning{'s' if len(due) != 1 else ''}"


def _print_warnings(
    due: Sequence[DueWarning],
    changes: Sequence[str],
    now: datetime,
    zone: str | None,
    fmt: str,
    app_ctx: AppContext,
) -> None:
    if fmt == "json":  # the contract is the array of warnings; changes are for people
        if due:
            render.write_json([warn.to_json(w) for w in due], sys.stdout)
        return
    if due:
        terminal = app_ctx.terminal()
        if terminal is None:
            lines = render.warning_lines(due, now, zone)
            sys.stdout.write("".join(line + "\n" for line in lines))
        else:
            render.print_warnings_table(due, now, zone, terminal, sys.stdout)
    if changes:
        gap = "\n" if due else ""
        sys.stdout.write(gap + warn.CHANGES_HEADING + "\n" + "".join(f"  {c}\n" for c in changes))
