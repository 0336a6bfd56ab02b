//! OS notifications over the session bus (`org.freedesktop.Notifications`): shows a notice
//! with its actions, and hands back what a person invoked on one (a click on it, "Mark as
//! read"). IO only: what a notice says and what an action means are `notify`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use zbus::blocking::Connection;
use zbus::zvariant::Value;

use crate::notify::{Invoked, Notice, Target};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
/// Notices remembered for their actions; an older one's click opens nothing.
const REMEMBERED: usize = 64;

pub struct Notifier {
    connection: Connection,
    /// What each shown notice (by the server's id) opens.
    shown: Mutex<BTreeMap<u32, Target>>,
}

impl Notifier {
    /// On the session bus; the notification server itself may start later.
    pub fn connect() -> anyhow::Result<Arc<Notifier>> {
        let connection = Connection::session().context("Connecting to the session bus")?;
        Ok(Arc::new(Notifier {
            connection,
            shown: Mutex::new(BTreeMap::new()),
        }))
    }

    /// Whether the server shows buttons on notices.
    fn server_has_actions(&self) -> bool {
        self.connection
            .call_method(Some(SERVICE), PATH, Some(SERVICE), "GetCapabilities", &())
            .and_then(|reply| reply.body().deserialize::<Vec<String>>())
            .is_ok_and(|capabilities| capabilities.iter().any(|c| c == "actions"))
    }

    /// Shows `notice` (already made safe for the server) and remembers what it opens.
    pub fn show(&self, notice: &Notice) -> anyhow::Result<()> {
        let actions: Vec<&str> = notice
            .actions(self.server_has_actions())
            .into_iter()
            .flat_map(|(key, label)| [key, label])
            .collect();
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        hints.insert("desktop-entry", Value::from("Tern"));
        let reply = self
            .connection
            .call_method(
                Some(SERVICE),
                PATH,
                Some(SERVICE),
                "Notify",
                &(
                    "Tern",
                    0u32,
                    "tern-app",
                    notice.title.as_str(),
                    notice.body.as_str(),
                    actions,
                    hints,
                    -1i32,
                ),
            )
            .context("Showing a notification")?;
        let id: u32 = reply
            .body()
            .deserialize()
            .context("Reading the notification's id")?;
        if let Ok(mut shown) = self.shown.lock() {
            shown.insert(id, notice.opens.clone());
            while shown.len() > REMEMBERED {
                shown.pop_first();
            }
        }
        Ok(())
    }

    /// Whether `sender` is the notification server now (a signal from anyone else on the
    /// bus is ignored).
    fn sent_by_server(&self, sender: Option<&str>) -> bool {
        let owner = self
            .connection
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "GetNameOwner",
                &(SERVICE,),
            )
            .and_then(|reply| reply.body().deserialize::<String>());
        matches!((owner, sender), (Ok(owner), Some(sender)) if owner == sender)
    }

    /// Calls `on` with what is invoked on a shown notice, on a thread of its own, for as long
    /// as the app runs.
    pub fn listen(self: &Arc<Self>, on: impl Fn(Invoked) + Send + 'static) -> anyhow::Result<()> {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(SERVICE)
            .context("The notifications' interface name")?
            .build();
        let messages =
            zbus::blocking::MessageIterator::for_match_rule(rule, &self.connection, Some(64))
                .context("Listening to the notification server")?;
        let notifier = Arc::clone(self);
        std::thread::Builder::new()
            .name("notifications".into())
            .spawn(move || {
                for message in messages.flatten() {
                    let header = message.header();
                    let sender = header.sender().map(|name| name.as_str().to_string());
                    match header.member().map(|member| member.as_str()) {
                        Some("ActionInvoked") => {
                            let Ok((id, key)) = message.body().deserialize::<(u32, String)>()
                            else {
                                continue;
                            };
                            if !notifier.sent_by_server(sender.as_deref()) {
                                tracing::warn!("an action signal from another program was ignored");
                                continue;
                            }
                            let target = notifier
                                .shown
                                .lock()
                                .ok()
                                .and_then(|shown| shown.get(&id).cloned());
                            if let Some(invoked) = target.and_then(|target| target.invoked(&key)) {
                                on(invoked);
                            }
                        }
                        Some("NotificationClosed") => {
                            if let Ok((id, _reason)) = message.body().deserialize::<(u32, u32)>() {
                                if notifier.sent_by_server(sender.as_deref()) {
                                    if let Ok(mut shown) = notifier.shown.lock() {
                                        shown.remove(&id);
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
            })
            .context("Starting the notifications' thread")?;
        Ok(())
    }
}
