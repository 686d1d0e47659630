//! Runs every request inside the service's clock when that clock is manual (tests), so
//! that the rules a request applies read the time the test set. The system clock needs
//! no layer: the router leaves it out.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::{Layer, Service};

use crate::clock::Clock;

/// Wraps a service so that each request runs in [`Clock::scope`].
#[derive(Clone)]
pub(super) struct ClockLayer(pub(super) Clock);

impl<S> Layer<S> for ClockLayer {
    type Service = ClockService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ClockService {
            clock: self.0.clone(),
            inner,
        }
    }
}

/// The service [`ClockLayer`] makes.
#[derive(Clone)]
pub(super) struct ClockService<S> {
    clock: Clock,
    inner: S,
}

impl<S, R> Service<R> for ClockService<S>
where
    S: Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let clock = self.clock.clone();
        let response = self.inner.call(request);
        Box::pin(async move { clock.scope(response).await })
    }
}
