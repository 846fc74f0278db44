//! `proofmesh.v1.HealthService` over the shared health view (current states) and the store
//! (certificates and slot history). Reads hold the view's lock only while copying out of it,
//! never across an await. Every call is counted in `GRPC_REQUESTS{method,code}`.

use std::pin::Pin;
use std::sync::{Arc, RwLockReadGuard};

use futures::Stream;
use proofmesh_proto::wire::pb;
use proofmesh_proto::wire::pb::health_service_server::HealthService;
use proofmesh_proto::{DatasetRoot, SlotId, MAX_SLOTS};
use proofmesh_verifier::health::DatasetHealth;
use proofmesh_verifier::HealthState;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::convert;
use super::{HealthChanges, SharedHealth};
use crate::metrics::GRPC_REQUESTS;
use crate::store::Store;

/// `ListDatasets` page size when the request says 0.
const DEFAULT_PAGE: usize = 50;
/// Largest `ListDatasets` page, whatever the request says.
const MAX_PAGE: usize = 1000;
/// `GetSlot` history length when the request says 0.
const DEFAULT_HISTORY: usize = 16;
/// Longest `GetSlot` history, whatever the request says.
const MAX_HISTORY: usize = 1000;

/// The health API a node serves: a read-only view over what the verifier actor maintains.
/// Cheap to clone; hand it to [`serve`](super::serve).
#[derive(Clone)]
pub struct HealthApi {
    /// The health view (current dataset and slot states).
    pub health: SharedHealth,
    /// Certificates by id and each slot's certified history.
    pub store: Arc<dyn Store>,
    /// Persisted changes, fanned out to `WatchHealth` streams.
    pub changes: HealthChanges,
}

/// Put in each request's extensions by [`serve`](super::serve): `WatchHealth` streams end
/// (UNAVAILABLE) when it is cancelled, so open watchers never hold a graceful shutdown up.
#[derive(Clone)]
pub(super) struct ServerShutdown(pub(super) CancellationToken);

impl HealthApi {
    /// The API over the node's health view, its store and its change broadcast.
    pub fn new(health: SharedHealth, store: Arc<dyn Store>, changes: HealthChanges) -> Self {
        Self {
            health,
            store,
            changes,
        }
    }

    fn view(&self) -> Result<RwLockReadGuard<'_, HealthState>, Status> {
        self.health.read().map_err(|_| {
            tracing::error!("health view lock poisoned: a writer panicked");
            Status::internal("health view unavailable")
        })
    }

    fn list(&self, req: &pb::ListDatasetsRequest) -> Result<pb::ListDatasetsResponse, Status> {
        let size = match req.page_size as usize {
            0 => DEFAULT_PAGE,
            n => n.min(MAX_PAGE),
        };
        let status = convert::status_filter(req.status)?;
        let after = match req.page_token.as_str() {
            "" => None,
            token => Some(convert::parse_root("page_token", token)?),
        };
        let state = self.view()?;
        let all: Box<dyn Iterator<Item = DatasetHealth<'_>>> = match &after {
            None => Box::new(state.datasets()),
            Some(root) => Box::new(state.datasets_after(root)),
        };
        let mut matching = all.filter(|d| status.is_none_or(|s| d.status == s));
        let datasets: Vec<_> = matching
            .by_ref()
            .take(size)
            .map(|d| convert::dataset_health(&d))
            .collect();
        // The token is the last root served: the next page starts strictly after it.
        let next_page_token = match (matching.next(), datasets.last()) {
            (Some(_), Some(last)) => last.dataset_root.clone(),
            _ => String::new(),
        };
        Ok(pb::ListDatasetsResponse {
            datasets,
            next_page_token,
        })
    }

    fn slot(&self, req: &pb::GetSlotRequest) -> Result<pb::SlotHealth, Status> {
        let dataset = convert::parse_root("dataset_root", &req.dataset_root)?;
        let index = u16::try_from(req.slot_index)
            .ok()
            .filter(|&i| u32::from(i) < MAX_SLOTS)
            .ok_or_else(|| {
                Status::invalid_argument(format!("slot_index: must be below {MAX_SLOTS}"))
            })?;
        let slot = SlotId { dataset, index };
        let mut out = {
            let state = self.view()?;
            let health = state
                .slot(&slot)
                .ok_or_else(|| Status::not_found(format!("slot {index} of dataset {dataset}")))?;
            convert::slot_health(slot, health)
        };
        let limit = match req.history as usize {
            0 => DEFAULT_HISTORY,
            n => n.min(MAX_HISTORY),
        };
        let history = self
            .store
            .slot_certificates(&slot, limit)
            .map_err(|e| internal("slot_certificates", &e))?;
        out.history = history.iter().map(convert::certified_verdict).collect();
        Ok(out)
    }

    fn certificate(&self, req: &pb::GetCertificateRequest) -> Result<pb::Certificate, Status> {
        let id = convert::parse_content_id("certificate_id", &req.certificate_id)?;
        match self.store.certificate(&id) {
            Ok(Some(c)) => Ok(convert::certificate(&c)),
            Ok(None) => Err(Status::not_found(format!("certificate {id}"))),
            Err(e) => Err(internal("certificate", &e)),
        }
    }

    /// Changes broadcast from now on (of one dataset, if given), ending with
    /// RESOURCE_EXHAUSTED when this stream falls behind the broadcast's capacity and with
    /// UNAVAILABLE on shutdown.
    fn watch(&self, dataset: Option<DatasetRoot>, shutdown: CancellationToken) -> WatchStream {
        let filter = dataset.map(|d| d.to_string());
        let rx = self.changes.subscribe();
        let stream = futures::stream::unfold(Some(rx), move |rx| {
            let filter = filter.clone();
            let shutdown = shutdown.clone();
            async move {
                let mut rx = rx?;
                loop {
                    let received = tokio::select! {
                        () = shutdown.cancelled() => {
                            let status = Status::unavailable("node shutting down");
                            return Some((Err(status), None));
                        }
                        r = rx.recv() => r,
                    };
                    match received {
                        Ok(c) if filter.as_ref().is_none_or(|f| *f == c.dataset_root) => {
                            return Some((Ok(c), Some(rx)));
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(n)) => {
                            let status = Status::resource_exhausted(format!(
                                "watcher fell {n} changes behind; re-read the view and watch again"
                            ));
                            return Some((Err(status), None));
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        });
        Box::pin(stream)
    }
}

/// The `WatchHealth` response stream.
type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::HealthChange, Status>> + Send>>;

/// Logs a store failure and hides its details from the client.
fn internal(op: &str, e: &dyn std::fmt::Display) -> Status {
    tracing::error!(op, error = %e, "store read failed while serving gRPC");
    Status::internal(format!("store error in {op}"))
}

/// Counts one call by method and status code, and passes its result through.
fn counted<T>(method: &'static str, result: Result<T, Status>) -> Result<Response<T>, Status> {
    let code = match &result {
        Ok(_) => tonic::Code::Ok,
        Err(s) => s.code(),
    };
    metrics::counter!(GRPC_REQUESTS, "method" => method, "code" => format!("{code:?}"))
        .increment(1);
    result.map(Response::new)
}

#[tonic::async_trait]
impl HealthService for HealthApi {
    async fn get_dataset(
        &self,
        request: Request<pb::GetDatasetRequest>,
    ) -> Result<Response<pb::DatasetHealth>, Status> {
        let result =
            convert::parse_root("dataset_root", &request.get_ref().dataset_root).and_then(|root| {
                let state = self.view()?;
                let d = state
                    .dataset(&root)
                    .ok_or_else(|| Status::not_found(format!("dataset {root}")))?;
                Ok(convert::dataset_health(&d))
            });
        counted("GetDataset", result)
    }

    async fn list_datasets(
        &self,
        request: Request<pb::ListDatasetsRequest>,
    ) -> Result<Response<pb::ListDatasetsResponse>, Status> {
        counted("ListDatasets", self.list(request.get_ref()))
    }

    async fn get_slot(
        &self,
        request: Request<pb::GetSlotRequest>,
    ) -> Result<Response<pb::SlotHealth>, Status> {
        counted("GetSlot", self.slot(request.get_ref()))
    }

    type WatchHealthStream = WatchStream;

    async fn watch_health(
        &self,
        request: Request<pb::WatchHealthRequest>,
    ) -> Result<Response<Self::WatchHealthStream>, Status> {
        // Outside `serve` (no token) a stream ends only by lagging or with the broadcast.
        let shutdown = request
            .extensions()
            .get::<ServerShutdown>()
            .map_or_else(CancellationToken::new, |s| s.0.clone());
        let result = match request.get_ref().dataset_root.as_str() {
            "" => Ok(None),
            root => convert::parse_root("dataset_root", root).map(Some),
        }
        .map(|dataset| self.watch(dataset, shutdown));
        counted("WatchHealth", result)
    }

    async fn get_certificate(
        &self,
        request: Request<pb::GetCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        counted("GetCertificate", self.certificate(request.get_ref()))
    }
}
