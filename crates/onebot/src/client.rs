use botwire_transport::AsyncTransport;

use crate::{Config, Endpoint, Error};

/// The async client: a [`Config`] and an [`AsyncTransport`].
///
/// Every operation is available as [`Client::send`] with an endpoint value, and as a convenience method
/// (`client.get_me()`); the blocking [`blocking::Client`](crate::blocking::Client) has the same methods.
///
/// ```
/// use botwire_onebot::{Client, Config};
/// use botwire_transport::HttpRequest;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), botwire_onebot::Error> {
/// // Any closure is a transport: here a canned answer instead of the network.
/// let transport = |_req: HttpRequest| async {
///     Ok(http::Response::new(br#"{"data":{"id":7,"name":"Shop"}}"#.to_vec()))
/// };
/// let client = Client::new(Config::new("token"), transport);
/// assert_eq!(client.get_me().await?.name.as_deref(), Some("Shop"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client<T> {
    config: Config,
    transport: T,
}

impl<T> Client<T> {
    /// A client that sends through `transport`.
    pub fn new(config: Config, transport: T) -> Self {
        Self { config, transport }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }
}

impl<T: AsyncTransport> Client<T> {
    /// Validates, sends and parses one operation.
    pub async fn send<E>(&self, endpoint: &E) -> Result<E::Output, Error>
    where
        E: Endpoint + Sync + ?Sized,
    {
        let request = endpoint.request(&self.config)?;
        let response = self.transport.execute(request).await?;
        endpoint.parse(response)
    }
}

/// The transport [`Client::with_config`] builds: reqwest, under the API's rate limits, with safe retries. Build
/// your own stack from the same parts to change any layer:
/// `Retry::new(Throttle::new(backend, ThrottleConfig::onebot()), RetryPolicy::default())`.
#[cfg(feature = "reqwest")]
pub type DefaultTransport =
    botwire_transport::Retry<botwire_transport::Throttle<botwire_transport::ReqwestTransport>>;

#[cfg(feature = "reqwest")]
impl Client<DefaultTransport> {
    /// A client for the onebot.tech API on the reqwest backend, with the token from `ONEBOT_API_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        Self::with_config(Config::from_env()?)
    }

    /// A client on the reqwest backend with default transport settings, paced by
    /// [`ThrottleConfig::onebot`](botwire_transport::ThrottleConfig::onebot) and retried by the default
    /// [`RetryPolicy`](botwire_transport::RetryPolicy).
    pub fn with_config(config: Config) -> Result<Self, Error> {
        let transport = botwire_transport::ReqwestTransport::new(
            botwire_transport::TransportConfig::default(),
        )?;
        Ok(Self::new(config, default_stack(transport)))
    }
}

/// `Retry<Throttle<T>>` with this API's limits and the default retry policy.
#[cfg(any(feature = "reqwest", feature = "ureq"))]
fn default_stack<T>(backend: T) -> botwire_transport::Retry<botwire_transport::Throttle<T>> {
    botwire_transport::Retry::new(
        botwire_transport::Throttle::new(backend, botwire_transport::ThrottleConfig::onebot()),
        botwire_transport::RetryPolicy::default(),
    )
}

/// The blocking client.
pub mod blocking {
    use botwire_transport::BlockingTransport;

    use crate::{Config, Endpoint, Error};

    /// The blocking client: a [`Config`] and a [`BlockingTransport`]. Same methods as the async
    /// [`Client`](crate::Client), without `.await`.
    ///
    /// ```
    /// use botwire_onebot::{Config, blocking::Client};
    /// use botwire_transport::{HttpRequest, HttpResponse, TransportError};
    ///
    /// let transport = |_req: HttpRequest| -> Result<HttpResponse, TransportError> {
    ///     Ok(http::Response::new(br#"{"data":{"id":7,"name":"Shop"}}"#.to_vec()))
    /// };
    /// let client = Client::new(Config::new("token"), transport);
    /// assert_eq!(client.get_me()?.id.0, 7);
    /// # Ok::<(), botwire_onebot::Error>(())
    /// ```
    #[derive(Debug, Clone)]
    pub struct Client<T> {
        config: Config,
        transport: T,
    }

    impl<T> Client<T> {
        /// A client that sends through `transport`.
        pub fn new(config: Config, transport: T) -> Self {
            Self { config, transport }
        }

        /// The configuration.
        pub fn config(&self) -> &Config {
            &self.config
        }

        /// The transport.
        pub fn transport(&self) -> &T {
            &self.transport
        }
    }

    impl<T: BlockingTransport> Client<T> {
        /// Validates, sends and parses one operation.
        pub fn send<E>(&self, endpoint: &E) -> Result<E::Output, Error>
        where
            E: Endpoint + ?Sized,
        {
            let request = endpoint.request(&self.config)?;
            let response = self.transport.execute(request)?;
            endpoint.parse(response)
        }
    }

    /// The transport [`Client::with_config`] builds: ureq, under the API's rate limits, with safe retries.
    #[cfg(feature = "ureq")]
    pub type DefaultTransport =
        botwire_transport::Retry<botwire_transport::Throttle<botwire_transport::UreqTransport>>;

    #[cfg(feature = "ureq")]
    impl Client<DefaultTransport> {
        /// A client for the onebot.tech API on the ureq backend, with the token from `ONEBOT_API_TOKEN`.
        pub fn from_env() -> Result<Self, Error> {
            Ok(Self::with_config(Config::from_env()?))
        }

        /// A client on the ureq backend with default transport settings, paced by
        /// [`ThrottleConfig::onebot`](botwire_transport::ThrottleConfig::onebot) and retried by the default
        /// [`RetryPolicy`](botwire_transport::RetryPolicy).
        pub fn with_config(config: Config) -> Self {
            Self::new(
                config,
                crate::client::default_stack(botwire_transport::UreqTransport::new(
                    botwire_transport::TransportConfig::default(),
                )),
            )
        }
    }
}
