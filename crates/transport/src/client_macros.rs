//! The client shape every botwire API crate shares, defined once.
//!
//! An API crate (botwire-max, botwire-onebot) has a `Config`, an `Endpoint` trait (sans-IO request/parse) and an
//! `Error`. [`api_clients!`](crate::api_clients) generates its `Client<T>` (async) and `blocking::Client<T>`
//! around them: construction, accessors, `send`, and the `from_env`/`with_config` constructors on the default
//! `Retry<Throttle<backend>>` stack. [`client_methods!`](crate::client_methods) generates each convenience
//! method on both clients from one table. The two clients therefore differ in one line — the one that moves
//! bytes — in every crate.

/// Generates `Client<T>`, `blocking::Client<T>` and their default transport stacks in an API crate.
///
/// Invoked at the crate root of `botwire-max` and `botwire-onebot`; not meant for other crates.
#[doc(hidden)]
#[macro_export]
macro_rules! api_clients {
    (
        config: $config:ty,
        endpoint: $endpoint:path,
        error: $error:ty,
        throttle: $throttle:expr,
        async_docs: { $(#[$adoc:meta])* },
        blocking_docs: { $(#[$bdoc:meta])* },
        from_env_docs: $from_env:literal $(,)?
    ) => {
        $(#[$adoc])*
        #[derive(Debug, Clone)]
        pub struct Client<T> {
            config: $config,
            transport: T,
        }

        impl<T> Client<T> {
            /// A client that sends through `transport`.
            pub fn new(config: $config, transport: T) -> Self {
                Self { config, transport }
            }

            /// The configuration.
            pub fn config(&self) -> &$config {
                &self.config
            }

            /// The transport.
            pub fn transport(&self) -> &T {
                &self.transport
            }
        }

        impl<T: $crate::AsyncTransport> Client<T> {
            /// Validates, sends and parses one operation.
            pub async fn send<E>(&self, endpoint: &E) -> Result<E::Output, $error>
            where
                E: $endpoint + Sync + ?Sized,
            {
                let request = endpoint.request(&self.config)?;
                let response = self.execute(request).await?;
                endpoint.parse(response)
            }

            /// Sends a built request through the transport as [`send`](Self::send) does. Whatever the
            /// transport, an error comes back scrubbed of the request's secrets and knowing whether the
            /// request may be repeated, and the response carries the request's
            /// [`RequestContext`]($crate::RequestContext), so that parsing it scrubs what the server echoes.
            /// Drivers that build their own requests (long polling, uploads) send them through this.
            pub async fn execute(
                &self,
                request: $crate::HttpRequest,
            ) -> Result<$crate::HttpResponse, $crate::TransportError> {
                let mut request = request;
                let context = $crate::RequestContext::ensure(&mut request);
                let trace = $crate::trace::CallTrace::start(env!("CARGO_PKG_NAME"), &request);
                let outcome = $crate::trace::Instrument::instrument(
                    self.transport.execute(request),
                    trace.span().clone(),
                )
                .await
                .map_err(|e| context.error(e));
                trace.finish(&outcome);
                let mut response = outcome?;
                context.attach(&mut response);
                Ok(response)
            }

            /// Sends a request with a streamed body (an upload) through the transport's
            /// [`execute_streamed`]($crate::AsyncTransport::execute_streamed), traced and scrubbed as
            /// [`execute`](Self::execute) is.
            pub async fn execute_streamed(
                &self,
                request: $crate::StreamRequest,
            ) -> Result<$crate::HttpResponse, $crate::TransportError> {
                let mut request = request;
                let context = $crate::RequestContext::ensure(&mut request);
                let trace = $crate::trace::CallTrace::start(env!("CARGO_PKG_NAME"), &request);
                let outcome = $crate::trace::Instrument::instrument(
                    self.transport.execute_streamed(request),
                    trace.span().clone(),
                )
                .await
                .map_err(|e| context.error(e));
                trace.finish(&outcome);
                let mut response = outcome?;
                context.attach(&mut response);
                Ok(response)
            }
        }

        /// The transport [`Client::with_config`] builds: reqwest, under the API's rate limits, with safe retries.
        /// Build your own stack from the same parts (`Retry::new(Throttle::new(backend, …), RetryPolicy::…)`) to
        /// change any layer.
        #[cfg(feature = "reqwest")]
        pub type DefaultTransport = $crate::Retry<$crate::Throttle<$crate::ReqwestTransport>>;

        #[cfg(feature = "reqwest")]
        impl Client<DefaultTransport> {
            #[doc = $from_env]
            pub fn from_env() -> Result<Self, $error> {
                Self::with_config(<$config>::from_env()?)
            }

            /// A client on the reqwest backend with default transport settings, paced by the API's
            /// [`ThrottleConfig`]($crate::ThrottleConfig) preset and retried by the default
            /// [`RetryPolicy`]($crate::RetryPolicy).
            pub fn with_config(config: $config) -> Result<Self, $error> {
                let transport = $crate::ReqwestTransport::new($crate::TransportConfig::default())?;
                Ok(Self::new(config, default_stack(transport)))
            }
        }

        /// `Retry<Throttle<T>>` with this API's limits and the default retry policy.
        #[cfg(any(feature = "reqwest", feature = "ureq"))]
        fn default_stack<T>(backend: T) -> $crate::Retry<$crate::Throttle<T>> {
            $crate::Retry::new($crate::Throttle::new(backend, $throttle), $crate::RetryPolicy::default())
        }

        /// The blocking client.
        pub mod blocking {
            $(#[$bdoc])*
            #[derive(Debug, Clone)]
            pub struct Client<T> {
                config: $config,
                transport: T,
            }

            impl<T> Client<T> {
                /// A client that sends through `transport`.
                pub fn new(config: $config, transport: T) -> Self {
                    Self { config, transport }
                }

                /// The configuration.
                pub fn config(&self) -> &$config {
                    &self.config
                }

                /// The transport.
                pub fn transport(&self) -> &T {
                    &self.transport
                }
            }

            impl<T: $crate::BlockingTransport> Client<T> {
                /// Validates, sends and parses one operation.
                pub fn send<E>(&self, endpoint: &E) -> Result<E::Output, $error>
                where
                    E: $endpoint + ?Sized,
                {
                    let request = endpoint.request(&self.config)?;
                    let response = self.execute(request)?;
                    endpoint.parse(response)
                }

                /// Sends a built request through the transport as [`send`](Self::send) does: the error is
                /// scrubbed of the request's secrets and knows whether the request may be repeated; the
                /// response carries the request's [`RequestContext`]($crate::RequestContext).
                pub fn execute(
                    &self,
                    request: $crate::HttpRequest,
                ) -> Result<$crate::HttpResponse, $crate::TransportError> {
                    let mut request = request;
                    let context = $crate::RequestContext::ensure(&mut request);
                    let trace = $crate::trace::CallTrace::start(env!("CARGO_PKG_NAME"), &request);
                    let outcome = {
                        let _in_span = trace.span().enter();
                        self.transport.execute(request)
                    }
                    .map_err(|e| context.error(e));
                    trace.finish(&outcome);
                    let mut response = outcome?;
                    context.attach(&mut response);
                    Ok(response)
                }

                /// Sends a request with a streamed body (an upload) through the transport's
                /// [`execute_streamed`]($crate::BlockingTransport::execute_streamed), traced and scrubbed as
                /// [`execute`](Self::execute) is.
                pub fn execute_streamed(
                    &self,
                    request: $crate::StreamRequest,
                ) -> Result<$crate::HttpResponse, $crate::TransportError> {
                    let mut request = request;
                    let context = $crate::RequestContext::ensure(&mut request);
                    let trace = $crate::trace::CallTrace::start(env!("CARGO_PKG_NAME"), &request);
                    let outcome = {
                        let _in_span = trace.span().enter();
                        self.transport.execute_streamed(request)
                    }
                    .map_err(|e| context.error(e));
                    trace.finish(&outcome);
                    let mut response = outcome?;
                    context.attach(&mut response);
                    Ok(response)
                }
            }

            /// The transport [`Client::with_config`] builds: ureq, under the API's rate limits, with safe
            /// retries.
            #[cfg(feature = "ureq")]
            pub type DefaultTransport = $crate::Retry<$crate::Throttle<$crate::UreqTransport>>;

            #[cfg(feature = "ureq")]
            impl Client<DefaultTransport> {
                #[doc = $from_env]
                pub fn from_env() -> Result<Self, $error> {
                    Ok(Self::with_config(<$config>::from_env()?))
                }

                /// A client on the ureq backend with default transport settings, paced by the API's
                /// [`ThrottleConfig`]($crate::ThrottleConfig) preset and retried by the default
                /// [`RetryPolicy`]($crate::RetryPolicy).
                pub fn with_config(config: $config) -> Self {
                    Self::new(config, super::default_stack($crate::UreqTransport::new($crate::TransportConfig::default())))
                }
            }
        }
    };
}

/// Emits each convenience method twice, `async fn` on `crate::Client` and plain `fn` on
/// `crate::blocking::Client`, from one table: `fn name(args) -> Output = endpoint_expression;`.
#[doc(hidden)]
#[macro_export]
// `crate::` is meant: the methods go on the clients of the crate that invokes the macro.
#[allow(clippy::crate_in_macro_def)]
macro_rules! client_methods {
    (error: $error:ty; $(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $out:ty = $make:expr;
    )*) => {
        impl<T: $crate::AsyncTransport> crate::Client<T> {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$out, $error> {
                    self.send(&$make).await
                }
            )*
        }

        impl<T: $crate::BlockingTransport> crate::blocking::Client<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: $ty),*) -> Result<$out, $error> {
                    self.send(&$make)
                }
            )*
        }
    };
}
