// A Gmail-like IMAP server for tests (issue 16): hoodiecrow-imap with its X-GM-EXT-1 plugin,
// made to announce the capability (the plugin does not), to answer X-GM-THRID (it has
// none), to give new messages ids above the seeded ones (it would reuse them), and to do
// what Gmail does when the label of the selected folder is removed: the message leaves that
// folder (archiving out of INBOX is removing \Inbox). The mailbox has Gmail's shape: one
// message in INBOX, in the label folder "Work" and in "[Gmail]/All Mail" under different
// UIDs but one X-GM-MSGID; one only in All Mail. Other label side effects are not modelled.
//
//   node scripts/gmail-like-server.js MODULE_DIR PORT      (prints "ready PORT")
"use strict";
var hoodiecrow = require(process.argv[2]);
var port = Number(process.argv[3]);

function message(id, subject, body, labels, thread) {
  return {
    raw: "From: Carol <carol@tern.test>\r\nTo: alice@tern.test\r\nSubject: " + subject +
      "\r\nMessage-ID: <" + id + "@tern.test>\r\nDate: Fri, 13 Sep 2013 15:01:00 +0300\r\n\r\n" + body + "\r\n",
    "X-GM-MSGID": id,
    "X-GM-THRID": thread,
    "X-GM-LABELS": labels
  };
}
var one = function () {
  return message("1278455344230334865", "One message, three folders",
    "The same message in INBOX, Work and All Mail.", ["\\Inbox", "Work"], "1278455344230334865");
};
var two = message("1278455344230334866", "Only archived", "Only in All Mail.", [], "1278455344230334865");

var server = hoodiecrow({
  plugins: ["IDLE", "ENABLE", "LITERALPLUS", "UIDPLUS", "MOVE", "SPECIAL-USE", "X-GM-EXT-1", "UNSELECT", "NAMESPACE"],
  users: { alice: { password: "alice-pw" } },
  "HIGHESTX-GM-MSGID": "1278455344230335000",
  storage: {
    "INBOX": { messages: [one()] },
    "": {
      separator: "/",
      folders: {
        "Work": { messages: [one()] },
        "[Gmail]": {
          flags: ["\\Noselect"],
          folders: {
            "All Mail": { "special-use": "\\All", messages: [one(), two] },
            "Drafts": { "special-use": "\\Drafts" },
            "Sent Mail": { "special-use": "\\Sent" },
            "Spam": { "special-use": "\\Junk" },
            "Starred": { "special-use": "\\Flagged" },
            "Trash": { "special-use": "\\Trash" }
          }
        }
      }
    }
  }
});
server.registerCapability("X-GM-EXT-1");
server.fetchHandlers["X-GM-THRID"] = function (connection, message) {
  return { type: "ATOM", value: message["X-GM-THRID"] || message["X-GM-MSGID"] };
};
var removeLabels = server.storeHandlers["-X-GM-LABELS"];
server.storeHandlers["-X-GM-LABELS"] = function (connection, message, flags, index, parsed, data) {
  removeLabels.apply(this, arguments);
  var mailbox = connection.selectedMailbox;
  if (!mailbox) {
    return;
  }
  var label = mailbox.path.toUpperCase() === "INBOX" ? "\\Inbox" : mailbox.path;
  if (message["X-GM-LABELS"].indexOf(label) < 0) {
    // After the STORE has answered: the message leaves the folder of the removed label.
    setImmediate(function () {
      connection.expungeSpecificMessages(mailbox, [message]);
    });
  }
};
server.listen(port, "127.0.0.1", function () {
  console.log("ready " + port);
});
