//! `lodestar export events`: the stored usage events as NDJSON, one message a line as it was
//! received (see [`Message::ndjson_line`] for the few that need a member added to stand on
//! their own), in the order they were stored. An export imports into another database as the
//! same events, which export from there to the same bytes.

use std::io::Write;

use lodestar_domain::usage::Message;
use lodestar_store::{EventSelection, Store};

/// Writes the events `selection` takes to `out`; returns how many.
pub async fn export_events(store: &Store, selection: &EventSelection, out: &mut dyn Write) -> anyhow::Result<u64> {
    store
        .each_stored_event(selection, |m: &Message| -> anyhow::Result<()> {
            out.write_all(m.ndjson_line().as_bytes())?;
            out.write_all(b"\n")?;
            Ok(())
        })
        .await
}
