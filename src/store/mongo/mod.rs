//! MongoDB backend (official driver). Being written: see issue 6.

use crate::store::Store;

pub struct MongoStore;

impl MongoStore {
    pub async fn open(_url: &str, _pool_size: u32) -> anyhow::Result<std::sync::Arc<dyn Store>> {
        anyhow::bail!("the MongoDB store is not available in this build yet")
    }
}
