//! Mock endpoints for zuora soap (filled in by the backend's own change).

use super::MockState;
use axum::Router;

/// The routes this backend serves.
pub(crate) fn routes() -> Router<MockState> {
    Router::new()
}
