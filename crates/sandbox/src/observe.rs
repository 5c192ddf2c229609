//! The layer every sandbox route goes through: scripted faults first, then counting.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::{Fault, Faults, Stats};

/// How a server names a request in its [`Stats`].
pub(crate) type Label = fn(&Request) -> String;

#[derive(Debug)]
pub(crate) struct Observer {
    pub(crate) stats: Arc<Stats>,
    pub(crate) faults: Arc<Faults>,
    pub(crate) label: Label,
}

/// `METHOD /matched/{template}` — the MAX servers' route names.
pub(crate) fn label_by_template(req: &Request) -> String {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned());
    format!("{} {path}", req.method())
}

pub(crate) async fn observe(
    State(observer): State<Arc<Observer>>,
    req: Request,
    next: Next,
) -> Response {
    let route = (observer.label)(&req);
    let response = match observer.faults.next() {
        Some(Fault::Status(code, body)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            next.run(req).await
        }
        None => next.run(req).await,
    };
    observer.stats.record(&route, response.status().as_u16());
    response
}
