use botwire_transport::AsyncTransport;

use crate::{Config, Endpoint, Error};

/// The async client: a [`Config`] and an [`AsyncTransport`].
///
/// Every operation is available as [`Client::send`] with an endpoint value, and as a convenience method
/// (`client.get_me()`); the blocking [`blocking::Client`](crate::blocking::Client) has the same methods.
///
/// ```
/// use botwire_max::{Client, Config};
/// use botwire_transport::HttpRequest;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), botwire_max::Error> {
/// // Any closure is a transport: here a canned answer instead of the network.
/// let transport = |_req: HttpRequest| async {
///     Ok(http::Response::new(br#"{"user_id":7,"first_name":"Echo","is_bot":true}"#.to_vec()))
/// };
/// let client = Client::new(Config::new("token"), transport);
/// assert_eq!(client.get_me().await?.first_name, "Echo");
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

#[cfg(feature = "reqwest")]
impl Client<botwire_transport::ReqwestTransport> {
    /// A client for the production API on the reqwest backend, with the token from `MAX_BOT_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        Self::with_config(Config::from_env()?)
    }

    /// A client on the reqwest backend with default transport settings.
    pub fn with_config(config: Config) -> Result<Self, Error> {
        let transport = botwire_transport::ReqwestTransport::new(
            botwire_transport::TransportConfig::default(),
        )?;
        Ok(Self::new(config, transport))
    }
}

/// The blocking client.
pub mod blocking {
    use botwire_transport::BlockingTransport;

    use crate::{Config, Endpoint, Error};

    /// The blocking client: a [`Config`] and a [`BlockingTransport`]. Same methods as the async
    /// [`Client`](crate::Client), without `.await`.
    ///
    /// ```
    /// use botwire_max::{Config, blocking::Client};
    /// use botwire_transport::{HttpRequest, HttpResponse, TransportError};
    ///
    /// let transport = |_req: HttpRequest| -> Result<HttpResponse, TransportError> {
    ///     Ok(http::Response::new(br#"{"user_id":7,"first_name":"Echo","is_bot":true}"#.to_vec()))
    /// };
    /// let client = Client::new(Config::new("token"), transport);
    /// assert_eq!(client.get_me()?.user_id.get(), 7);
    /// # Ok::<(), botwire_max::Error>(())
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

    #[cfg(feature = "ureq")]
    impl Client<botwire_transport::UreqTransport> {
        /// A client for the production API on the ureq backend, with the token from `MAX_BOT_TOKEN`.
        pub fn from_env() -> Result<Self, Error> {
            Ok(Self::with_config(Config::from_env()?))
        }

        /// A client on the ureq backend with default transport settings.
        pub fn with_config(config: Config) -> Self {
            Self::new(
                config,
                botwire_transport::UreqTransport::new(botwire_transport::TransportConfig::default()),
            )
        }
    }
}
