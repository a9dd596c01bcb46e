// The admin page's photo upload: shows the chosen files before they are
// sent. The form works without it (a plain multipart post).
(function () {
  const input = document.getElementById("photo-input");
  const preview = document.getElementById("photo-preview");
  if (!input || !preview) return;
  input.addEventListener("change", () => {
    preview.replaceChildren();
    for (const file of input.files) {
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
      if (/^image\/(jpeg|png|webp)$/.test(file.type)) {
        const img = document.createElement("img");
        img.alt = "";
        img.width = 120;
        // A data: URL: the page's content security policy allows those for images.
        const reader = new FileReader();
        reader.addEventListener("load", () => { img.src = reader.result; });
        reader.readAsDataURL(file);
        figure.append(img);
      }
      figure.append(caption);
      preview.append(figure);
    }
  });
})();
