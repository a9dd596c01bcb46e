## Error titles, by error code (the codes stay English identifiers)

error-malformed_json = JSON mal formado
error-invalid_parameter = Parámetro no válido
error-bad_request = Petición incorrecta
error-unauthorized = No has iniciado sesión
error-invalid_credentials = Correo o contraseña incorrectos
error-forbidden = No permitido
error-csrf_rejected = Petición desde otro sitio rechazada
error-route_not_found = Esta página no existe
error-product_not_found = Producto no encontrado
error-order_not_found = Pedido no encontrado
error-not_found = No encontrado
error-method_not_allowed = Método no permitido
error-request_timeout = La petición tardó demasiado
error-already_exists = Ya existe
error-insufficient_stock = No hay existencias suficientes
error-invalid_transition = Cambio de estado no permitido
error-payload_too_large = Petición demasiado grande
error-unsupported_media_type = Tipo de contenido no admitido
error-validation_failed = Datos no válidos
error-cart_empty = El carrito está vacío
error-rate_limited = Demasiados intentos
error-internal_error = Error interno
error-unavailable = Servicio no disponible
