//! Routers: an ordered list of routes (filter → handler) and nested routers, with middleware and a fallback.
//!
//! # Order
//!
//! For each update a router
//! 1. runs its middleware in registration order (one returning [`Flow::Stop`] ends the update there: handled,
//!    nothing else runs);
//! 2. tries its routes in registration order; the **first** whose filter passes handles the update. A nested
//!    router is entered when its own filter (if any) passes, and follows the same rules; if nothing inside it
//!    matches (and it has no fallback), routing goes on with the parent's next route;
//! 3. otherwise its fallback handles the update;
//! 4. otherwise the update is *unhandled*: the dispatcher's `on_unhandled` hook runs and a `tracing` event is
//!    emitted — it is never dropped silently.
//!
//! # Handlers
//!
//! A plain-function handler `Fn(&Context) -> HandlerResult` ([`Router::on`]) runs on every runner, the
//! blocking one included: it decides, and queues its replies on the context. An async handler
//! `Fn(Context) -> impl Future<Output = HandlerResult>` ([`Router::on_async`]) runs on the async runners only
//! (the blocking runner refuses a router that has one, at start).

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::context::Context;
use crate::error::{BoxError, HandlerResult};
use crate::filter::{self, Filter};

/// What a middleware decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on routing.
    Continue,
    /// Stop here: the update counts as handled (the middleware's queued replies are sent).
    Stop,
}

type SyncFn = Arc<dyn Fn(&Context) -> HandlerResult + Send + Sync>;
type AsyncFn = Arc<dyn Fn(Context) -> BoxFuture<'static, HandlerResult> + Send + Sync>;
type MiddlewareFn = Arc<dyn Fn(&Context) -> Result<Flow, BoxError> + Send + Sync>;

#[derive(Clone)]
pub(crate) enum Handler {
    Sync(SyncFn),
    Async(AsyncFn),
}

#[derive(Clone)]
enum Route {
    Handle {
        filter: Filter,
        handler: Handler,
    },
    Nest {
        filter: Option<Filter>,
        router: Router,
    },
}

/// Routes, nested routers, middleware and a fallback. See the [module docs](self) for the matching order.
#[derive(Clone, Default)]
pub struct Router {
    name: Option<String>,
    middleware: Vec<MiddlewareFn>,
    routes: Vec<Route>,
    fallback: Option<Handler>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("name", &self.name)
            .field("routes", &self.routes.len())
            .field("middleware", &self.middleware.len())
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

pub(crate) enum Routed<'a> {
    Handler(&'a Handler),
    Stopped,
    Unhandled,
    Failed(BoxError),
}

impl Router {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// A named router (the name shows in errors, e.g. the blocking runner's refusal of async handlers).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// A plain-function handler for updates that pass `filter`.
    #[must_use]
    pub fn on(
        mut self,
        filter: Filter,
        handler: impl Fn(&Context) -> HandlerResult + Send + Sync + 'static,
    ) -> Self {
        self.routes.push(Route::Handle {
            filter,
            handler: Handler::Sync(Arc::new(handler)),
        });
        self
    }

    /// An async handler for updates that pass `filter` (async runners only).
    #[must_use]
    pub fn on_async<F, Fut>(mut self, filter: Filter, handler: F) -> Self
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.routes.push(Route::Handle {
            filter,
            handler: Handler::Async(Arc::new(move |ctx| Box::pin(handler(ctx)))),
        });
        self
    }

    /// Shorthand for `on(filters::command(name), handler)`.
    #[must_use]
    pub fn command(
        self,
        name: &'static str,
        handler: impl Fn(&Context) -> HandlerResult + Send + Sync + 'static,
    ) -> Self {
        self.on(filter::command(name), handler)
    }

    /// Shorthand for `on(filters::callback_eq(payload), handler)`.
    #[must_use]
    pub fn callback(
        self,
        payload: &'static str,
        handler: impl Fn(&Context) -> HandlerResult + Send + Sync + 'static,
    ) -> Self {
        self.on(filter::callback_eq(payload), handler)
    }

    /// Nests a router: tried at this position, as if its routes were here.
    #[must_use]
    pub fn nest(mut self, router: Router) -> Self {
        self.routes.push(Route::Nest {
            filter: None,
            router,
        });
        self
    }

    /// Nests a router entered only when `filter` passes (e.g. admins only, or one dialogue state).
    #[must_use]
    pub fn nest_when(mut self, filter: Filter, router: Router) -> Self {
        self.routes.push(Route::Nest {
            filter: Some(filter),
            router,
        });
        self
    }

    /// Middleware: runs before this router's routes, for every update that reaches the router; it can queue
    /// replies and return [`Flow::Stop`] to end the update (allow-lists, anti-flood).
    #[must_use]
    pub fn middleware(
        mut self,
        f: impl Fn(&Context) -> Result<Flow, BoxError> + Send + Sync + 'static,
    ) -> Self {
        self.middleware.push(Arc::new(f));
        self
    }

    /// The handler for updates no route matched.
    #[must_use]
    pub fn fallback(
        mut self,
        handler: impl Fn(&Context) -> HandlerResult + Send + Sync + 'static,
    ) -> Self {
        self.fallback = Some(Handler::Sync(Arc::new(handler)));
        self
    }

    /// An async fallback (async runners only).
    #[must_use]
    pub fn fallback_async<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.fallback = Some(Handler::Async(Arc::new(move |ctx| Box::pin(handler(ctx)))));
        self
    }

    /// Names of the routers (or `"<root>"`) holding async handlers; empty when every handler is a plain
    /// function, i.e. the router runs on the blocking runner.
    pub fn async_handlers(&self) -> Vec<String> {
        let mut found = Vec::new();
        self.collect_async(&mut found);
        found
    }

    fn collect_async(&self, found: &mut Vec<String>) {
        let me = || {
            self.name
                .clone()
                .unwrap_or_else(|| "<unnamed router>".to_owned())
        };
        let own = self.routes.iter().any(|r| {
            matches!(
                r,
                Route::Handle {
                    handler: Handler::Async(_),
                    ..
                }
            )
        }) || matches!(self.fallback, Some(Handler::Async(_)));
        if own {
            found.push(me());
        }
        for route in &self.routes {
            if let Route::Nest { router, .. } = route {
                router.collect_async(found);
            }
        }
    }

    pub(crate) fn route<'a>(&'a self, ctx: &Context) -> Routed<'a> {
        for m in &self.middleware {
            match m(ctx) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop) => return Routed::Stopped,
                Err(e) => return Routed::Failed(e),
            }
        }
        for route in &self.routes {
            match route {
                Route::Handle { filter, handler } => {
                    if filter.check(ctx) {
                        return Routed::Handler(handler);
                    }
                }
                Route::Nest { filter, router } => {
                    if filter.as_ref().is_none_or(|f| f.check(ctx)) {
                        match router.route(ctx) {
                            Routed::Unhandled => {}
                            other => return other,
                        }
                    }
                }
            }
        }
        match &self.fallback {
            Some(h) => Routed::Handler(h),
            None => Routed::Unhandled,
        }
    }
}
