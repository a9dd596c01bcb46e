//! Photo files: stored whole in every size, read back, deleted; on disk
//! beside the SQLite file, in GridFS (bucket `photos`) with MongoDB.

use std::sync::Arc;

use mongodb::bson::{doc, Document};
use tienda::domain::new_id;
use tienda::domain::photos::PhotoSize;
use tienda::store::Store;

use crate::support::Backend;

fn files(tag: &str) -> Vec<(PhotoSize, Vec<u8>)> {
    vec![
        (PhotoSize::Small, format!("small {tag}").into_bytes()),
        // Bigger than one GridFS chunk (255 KiB), so chunks are joined.
        (PhotoSize::Large, tag.as_bytes().repeat(300_000 / tag.len())),
    ]
}

pub async fn put_read_and_delete_photo_files(store: Arc<dyn Store>) {
    let (a, b) = (new_id(), new_id());
    store.put_photo(&a, files("aaaa")).await.expect("put a");
    store.put_photo(&b, files("bb")).await.expect("put b");
    for (size, bytes) in files("aaaa") {
        let read = store.photo_file(&a, size).await.expect("read");
        assert_eq!(read.as_deref(), Some(bytes.as_slice()), "{size:?}");
    }
    assert_eq!(
        store
            .photo_file(&new_id(), PhotoSize::Small)
            .await
            .expect("read"),
        None
    );

    assert!(store.delete_photo(&a).await.expect("delete"));
    for size in PhotoSize::ALL {
        assert_eq!(store.photo_file(&a, *size).await.expect("read"), None);
    }
    assert!(!store.delete_photo(&a).await.expect("delete again"));
    // The other photo is untouched.
    let small = store
        .photo_file(&b, PhotoSize::Small)
        .await
        .expect("read b");
    assert_eq!(small.as_deref(), Some(b"small bb".as_slice()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_photos_live_beside_the_database_with_no_partial_files() {
    let backend = Backend::sqlite().await;
    let store = backend.store();
    let id = new_id();
    store.put_photo(&id, files("disk")).await.expect("put");
    let db = backend.url().trim_start_matches("sqlite://").to_owned();
    let folder = std::path::Path::new(&db)
        .parent()
        .expect("folder")
        .join("photos");
    let mut names: Vec<String> = std::fs::read_dir(folder.join(&id))
        .expect("photo folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["1200.jpg", "400.jpg"]);
    let others: Vec<_> = std::fs::read_dir(&folder)
        .expect("photos folder")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(others.len(), 1, "temporary folders left: {others:?}");
    assert!(store.delete_photo(&id).await.expect("delete"));
    assert_eq!(
        std::fs::read_dir(&folder).expect("photos folder").count(),
        0
    );
    backend.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongo_photos_are_gridfs_files_in_the_photos_bucket() {
    let backend = Backend::mongo().await;
    let store = backend.store();
    let id = new_id();
    store.put_photo(&id, files("grid")).await.expect("put");
    let db = backend.raw_mongo().await;
    let stored = db.collection::<Document>("photos.files");
    for size in ["400", "1200"] {
        let file = stored
            .find_one(doc! { "_id": format!("{id}/{size}") })
            .await
            .expect("find")
            .unwrap_or_else(|| panic!("no GridFS file {id}/{size}"));
        assert_eq!(
            file.get_str("filename").ok(),
            Some(format!("{id}/{size}").as_str())
        );
    }
    let chunks = db.collection::<Document>("photos.chunks");
    assert!(chunks.count_documents(doc! {}).await.expect("count") >= 3);
    assert!(store.delete_photo(&id).await.expect("delete"));
    assert_eq!(stored.count_documents(doc! {}).await.expect("count"), 0);
    assert_eq!(chunks.count_documents(doc! {}).await.expect("count"), 0);
    backend.finish().await;
}
