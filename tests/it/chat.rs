//! The support chat over real WebSocket connections.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::helpers::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    tokio_tungstenite::connect_async(app.chat_request(token, query))
        .await
        .map(|(ws, _)| ws)
}

async fn send(ws: &mut Socket, v: Value) {
    ws.send(Frame::Text(v.to_string().into()))
        .await
        .expect("send");
}

/// The next JSON frame, or `None` if none arrives within `ms`.
async fn next(ws: &mut Socket, ms: u64) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        match frame {
            Ok(Frame::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Frame::Ping(_) | Frame::Pong(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn questions_reach_staff_and_answers_reach_only_their_customer() {
    questions_and_answers(true).await;
}

#[tokio::test]
async fn a_staff_account_answers_as_an_admin_does() {
    questions_and_answers(false).await;
}

/// Customers ask, and the one answering (an admin, or a staff account made
/// with `tienda admin grant --role staff`) sees every email and answers one.
async fn questions_and_answers(by_admin: bool) {
    let app = spawn_app().await;
    let staff = if by_admin {
        app.admin().await
    } else {
        crate::roles::staff(&app).await
    };
    let ana = app.customer("ana@example.com").await;
    let bob = app.customer("bob@example.com").await;
    let mut staff_ws = connect(&app, Some(&staff), "").await.expect("staff socket");
    let mut ana_ws = connect(&app, Some(&ana), "").await.expect("ana socket");
    let mut bob_ws = connect(&app, Some(&bob), "").await.expect("bob socket");
    tokio::time::sleep(Duration::from_millis(100)).await;

    send(
        &mut ana_ws,
        json!({"body": "Does the lamp come with a bulb?"}),
    )
    .await;
    let seen = next(&mut staff_ws, 3000)
        .await
        .expect("staff gets the question");
    assert_eq!(seen["type"], "message");
    assert_eq!(seen["message"]["email"], "ana@example.com");
    assert_eq!(seen["message"]["type"], "customer");
    assert_eq!(seen["message"]["body"], "Does the lamp come with a bulb?");
    let echo = next(&mut ana_ws, 3000)
        .await
        .expect("ana sees her own message");
    assert_eq!(echo["message"]["email"], "ana@example.com");
    let public = next(&mut bob_ws, 3000).await.expect("bob sees the channel");
    assert_eq!(public["message"]["author"], "ana");
    assert_eq!(
        public["message"]["email"],
        Value::Null,
        "other customers never see an email"
    );

    send(
        &mut staff_ws,
        json!({"body": "Yes, a warm LED bulb.", "to": "ANA@example.com"}),
    )
    .await;
    let reply = next(&mut ana_ws, 3000).await.expect("ana gets the answer");
    assert_eq!(reply["message"]["type"], "staff");
    assert_eq!(reply["message"]["to"], "ana@example.com");
    assert_eq!(reply["message"]["body"], "Yes, a warm LED bulb.");
    assert!(
        next(&mut bob_ws, 700).await.is_none(),
        "bob must not get ana's answer"
    );

    // Stored with every field, before being shown.
    let history = app.get("/messages", Some(&staff)).await;
    let items = history.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["email"], "ana@example.com");
    assert_eq!(items[1]["to"], "ana@example.com");
    assert!(items
        .iter()
        .all(|m| m["created_at"].is_string() && m["type"].is_string() && m["id"].is_string()));
    let bobs = app.get("/messages", Some(&bob)).await;
    assert_eq!(
        bobs.body["items"].as_array().map(Vec::len),
        Some(1),
        "bob's history lacks ana's answer"
    );
    let anas = app.get("/chat/ana@example.com", Some(&ana)).await;
    assert_eq!(anas.body["items"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn channels_are_private() {
    let app = spawn_app().await;
    let staff = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    app.get("/chat/bob@example.com", Some(&ana))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.get("/chat/ANA@Example.com", Some(&ana)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/chat/ana@example.com", Some(&staff)).await.status,
        StatusCode::OK
    );
    app.get("/chat/ana@example.com", None)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/messages?channel=bob@example.com", Some(&ana))
        .await
        .assert_problem(403, "forbidden");
    let err = connect(&app, Some(&ana), "?channel=bob@example.com")
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");
}

#[tokio::test]
async fn unauthenticated_upgrades_are_refused() {
    let app = spawn_app().await;
    let err = connect(&app, None, "").await.expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");
    let err = connect(&app, Some("forged.token.value"), "")
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn bad_frames_get_error_frames_with_ids() {
    let app = spawn_app().await;
    let ana = app.customer("ana@example.com").await;
    let mut ws = connect(&app, Some(&ana), "").await.expect("socket");
    ws.send(Frame::Text("not json".into())).await.expect("send");
    let e = next(&mut ws, 2000).await.expect("error frame");
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "malformed_json");
    assert_eq!(e["id"].as_str().map(str::len), Some(36));
    ws.send(Frame::Binary(vec![0, 1, 2].into()))
        .await
        .expect("send");
    assert_eq!(
        next(&mut ws, 2000).await.expect("error")["code"],
        "bad_request"
    );
    send(&mut ws, json!({"body": "   "})).await;
    assert_eq!(
        next(&mut ws, 2000).await.expect("error")["code"],
        "validation_failed"
    );
    send(&mut ws, json!({"body": "x".repeat(2001)})).await;
    assert_eq!(
        next(&mut ws, 2000).await.expect("error")["code"],
        "validation_failed"
    );
    send(&mut ws, json!({"body": "hi", "to": "bob@example.com"})).await;
    assert_eq!(
        next(&mut ws, 2000).await.expect("error")["code"],
        "forbidden"
    );
    send(&mut ws, json!({"body": "hi", "extra": 1})).await;
    assert_eq!(
        next(&mut ws, 2000).await.expect("error")["code"],
        "malformed_json"
    );
    // Still usable.
    send(&mut ws, json!({"body": "a real question"})).await;
    assert_eq!(
        next(&mut ws, 2000).await.expect("message")["type"],
        "message"
    );
    // A frame over the limit closes the socket.
    let _ = ws.send(Frame::Text("y".repeat(64 * 1024).into())).await;
    let mut closed = false;
    for _ in 0..10 {
        match tokio::time::timeout(Duration::from_secs(2), ws.next()).await {
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Frame::Close(_)))) => {
                closed = true;
                break;
            }
            Ok(Some(Ok(_))) => continue,
            Err(_) => break,
        }
    }
    assert!(closed, "oversize frame closes the socket");
    // The server is fine.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn floods_are_rate_limited() {
    let app = spawn_app_with(|s| {
        s.rate_limit.enabled = true;
        s.rate_limit.chat_per_user = 5;
    })
    .await;
    let ana = app.customer("ana@example.com").await;
    let mut ws = connect(&app, Some(&ana), "").await.expect("socket");
    for i in 0..10 {
        send(&mut ws, json!({"body": format!("msg {i}")})).await;
    }
    let mut messages = 0;
    let mut limited = 0;
    while let Some(f) = next(&mut ws, 1500).await {
        match f["type"].as_str() {
            Some("message") => messages += 1,
            Some("error") if f["code"] == "rate_limited" => limited += 1,
            _ => {}
        }
    }
    assert_eq!(messages, 5);
    assert_eq!(limited, 5);
}

#[tokio::test]
async fn a_revoked_session_closes_its_socket() {
    // No periodic re-check in this test: the logout itself must close it.
    let app =
        spawn_app_with(|s| s.chat.session_check_interval = tienda::config::Seconds(3600)).await;
    let ana = app.customer("ana@example.com").await;
    let mut ws = connect(&app, Some(&ana), "").await.expect("socket");
    let r = app
        .call(reqwest::Method::POST, "/auth/logout", Some(&ana), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let mut code = None;
    for _ in 0..10 {
        match tokio::time::timeout(Duration::from_secs(3), ws.next()).await {
            Ok(Some(Ok(Frame::Close(Some(c))))) => {
                code = Some(u16::from(c.code));
                break;
            }
            Ok(Some(Ok(_))) => continue,
            _ => break,
        }
    }
    assert_eq!(code, Some(4401));
}

#[tokio::test]
async fn history_pages_backwards_newest_last() {
    let app = spawn_app().await;
    let ana = app.customer("ana@example.com").await;
    let mut ws = connect(&app, Some(&ana), "").await.expect("socket");
    for i in 0..5 {
        send(&mut ws, json!({"body": format!("m{i}")})).await;
        assert_eq!(
            next(&mut ws, 2000).await.expect("echo")["message"]["body"],
            format!("m{i}")
        );
    }
    let page = app.get("/messages?limit=2", Some(&ana)).await;
    let bodies: Vec<_> = page.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(bodies, [json!("m3"), json!("m4")]);
    let before = page.body["next_before"].as_str().expect("cursor");
    let older = app
        .get(&format!("/messages?limit=2&before={before}"), Some(&ana))
        .await;
    let bodies: Vec<_> = older.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(bodies, [json!("m1"), json!("m2")]);
    app.get("/messages?limit=0", Some(&ana))
        .await
        .assert_problem(400, "invalid_parameter");
    app.get("/messages?before=nope", Some(&ana))
        .await
        .assert_problem(400, "invalid_parameter");
}

async fn close_code(ws: &mut Socket, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Frame::Close(Some(c))))) => return Some(u16::from(c.code)),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn an_expiring_or_admin_revoked_session_closes_its_socket() {
    let app = spawn_app_with(|s| {
        s.session.ttl = tienda::config::Seconds(2);
        s.chat.session_check_interval = tienda::config::Seconds(3600);
    })
    .await;
    let ana = app.customer("ana@example.com").await;
    let mut ws = connect(&app, Some(&ana), "").await.expect("socket");
    assert_eq!(
        close_code(&mut ws, Duration::from_secs(5)).await,
        Some(4401),
        "expiry closes"
    );

    let app =
        spawn_app_with(|s| s.chat.session_check_interval = tienda::config::Seconds(3600)).await;
    let admin = app.admin().await;
    let bob = app.customer("bob@example.com").await;
    let mut ws = connect(&app, Some(&bob), "").await.expect("socket");
    let sessions = app
        .get("/admin/users/bob@example.com/sessions", Some(&admin))
        .await;
    let sid = sessions.body["items"][0]["id"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_eq!(
        app.delete(&format!("/auth/sessions/{sid}"), Some(&admin))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        close_code(&mut ws, Duration::from_secs(3)).await,
        Some(4401),
        "revocation closes"
    );
}

/// A staff socket with a 4 KiB receive buffer, which the test leaves unread.
async fn slow_staff_socket(app: &TestApp, staff: &str) -> Socket {
    let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let stream = tcp
        .connect(([127, 0, 0, 1], app.port).into())
        .await
        .expect("connect");
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    tokio_tungstenite::client_async(app.chat_request(Some(staff), ""), stream)
        .await
        .expect("staff socket")
        .0
}

/// Past the 4 MiB the kernel lets a socket buffer by default (tcp_wmem), twice.
const FLOOD: usize = 800;

/// A staff socket with a 4 KiB receive buffer, left unread while Ana sends
/// `FLOOD` messages of 10 KB (reading her own echoes as she goes), on an app
/// that gives up on a stalled write after `write_timeout` seconds. Returns
/// the app, the staff member's token and the socket.
async fn flood_past_an_unread_staff_socket(write_timeout: u64) -> (TestApp, String, Socket) {
    let app = spawn_app_with(|s| {
        s.chat.max_body = 12_000;
        s.chat.write_timeout = tienda::config::Seconds(write_timeout);
    })
    .await;
    let staff = app.admin().await;
    let ana = app.customer("ana@example.com").await;
    let slow = slow_staff_socket(&app, &staff).await;
    let mut ana_ws = connect(&app, Some(&ana), "").await.expect("ana socket");
    let filler = "x".repeat(10_000);
    for i in 0..FLOOD {
        send(&mut ana_ws, json!({"body": format!("m{i} {filler}")})).await;
        let echo = next(&mut ana_ws, 5000).await.expect("echo");
        assert_eq!(echo["type"], "message", "{echo}");
    }
    (app, staff, slow)
}

#[tokio::test]
async fn a_reader_that_stops_reading_gets_what_fits_in_order_then_a_missed_notice() {
    // The server's socket fills, then the backlog behind it, then messages
    // are dropped for this socket alone.
    let (_app, _, mut slow) = flood_past_an_unread_staff_socket(600).await;
    // (first word of each message body, or the error frame)
    let mut frames: Vec<Result<String, Value>> = Vec::new();
    while let Some(f) = next(&mut slow, 1500).await {
        match f["type"].as_str() {
            Some("message") => {
                let body = f["message"]["body"].as_str().unwrap_or_default();
                frames.push(Ok(body.split(' ').next().unwrap_or_default().to_owned()));
            }
            _ => frames.push(Err(f)),
        }
    }
    let Some(Err(notice)) = frames.pop() else {
        panic!("the missed-messages notice comes last, after what was delivered");
    };
    let bodies: Vec<String> = frames
        .into_iter()
        .map(|f| f.expect("only messages before the notice"))
        .collect();
    let expected: Vec<String> = (0..bodies.len()).map(|i| format!("m{i}")).collect();
    assert_eq!(bodies, expected, "delivered in order, without gaps");
    assert!(bodies.len() < FLOOD, "the slow socket missed some");
    assert_eq!(notice["code"], "unavailable");
    let detail = notice["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("missed {} messages", FLOOD - bodies.len())),
        "{detail}"
    );
    assert!(notice["id"].as_str().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn a_socket_whose_client_stops_reading_is_dropped_after_the_write_timeout() {
    let (app, staff, mut slow) = flood_past_an_unread_staff_socket(1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // What the kernel buffered still arrives, then the connection ends.
    let mut messages = 0;
    let ended = loop {
        match tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
            Ok(Some(Ok(Frame::Text(_)))) => messages += 1,
            Ok(Some(Ok(_))) => {}
            Ok(None | Some(Err(_))) => break true,
            Err(_) => break false,
        }
    };
    assert!(ended, "the server dropped the stalled socket");
    assert!(messages > 0 && messages < FLOOD, "{messages} messages");
    // The slot was given back: staff may open sockets up to the cap again.
    for _ in 0..8 {
        connect(&app, Some(&staff), "")
            .await
            .expect("a socket within the cap");
    }
}

#[tokio::test]
async fn error_frames_speak_the_language_the_socket_was_opened_in() {
    let app = spawn_app().await;
    let ana = app.customer("ana@example.com").await;
    let mut request = app.chat_request(Some(&ana), "");
    request
        .headers_mut()
        .insert("accept-language", "es".parse().expect("header"));
    let (mut es, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("socket");
    send(&mut es, json!({"body": "   "})).await;
    let e = next(&mut es, 2000).await.expect("error frame");
    assert_eq!(e["code"], "validation_failed");
    assert_eq!(e["detail"], "body: no debe estar vacío");
    let mut en = connect(&app, Some(&ana), "").await.expect("socket");
    send(&mut en, json!({"body": "   "})).await;
    let e = next(&mut en, 2000).await.expect("error frame");
    assert_eq!(e["detail"], "body must not be empty");
}
